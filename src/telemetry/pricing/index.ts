// Cost accounting: the shipped pricing table, the price book that reads it, and the cost formula.
export { computeCostUsd, type TokenPrices } from './compute-cost.js';
export {
  createPriceBook,
  defaultPricingTable,
  type ModelPrice,
  type PriceBook,
  type PriceBookOptions,
  type PriceLookup,
  type PriceOverride,
  type PricingTable,
  type PricingTableEntry,
} from './price-book.js';
