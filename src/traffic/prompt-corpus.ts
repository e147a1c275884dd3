// The traffic generator's bundled prompts: realistic chat requests of varied lengths, short to long.

/** One prompt of the corpus, with an optional system message. */
export interface CorpusPrompt {
  system?: string;
  user: string;
}

/** About forty prompts, from one-line questions to multi-paragraph tasks with pasted material. */
export const promptCorpus: readonly CorpusPrompt[] = [
  { user: 'What is the capital of Australia?' },
  { user: 'Translate "where is the train station" into Spanish.' },
  { user: 'Give me three synonyms for "resilient".' },
  { user: 'How many minutes are in a week?' },
  { user: 'Is a tomato a fruit or a vegetable?' },
  { user: 'What does HTTP status 429 mean?' },
  { user: 'Write a haiku about autumn rain.' },
  { user: 'Convert 72 degrees Fahrenheit to Celsius.' },
  { system: 'You answer questions accurately and briefly.', user: 'Who wrote "Pride and Prejudice"?' },
  { system: 'You are a helpful coding assistant.', user: 'How do I reverse a list in Python?' },
  { user: 'Suggest a name for a coffee shop that also sells books.' },
  { user: 'Explain the difference between a process and a thread in two sentences.' },
  {
    user: 'I have chicken thighs, rice, an onion, garlic and a can of coconut milk. What can I cook for dinner tonight in under 40 minutes?',
  },
  {
    user: 'Write a polite email to my landlord asking when the broken heating in my apartment will be repaired. It has been out for five days.',
  },
  {
    system: 'You are a helpful coding assistant.',
    user: 'Write a TypeScript function that debounces another function, with a cancel method, and explain how it works.',
  },
  {
    user: 'Summarize the plot of Romeo and Juliet for a ten-year-old in one paragraph.',
  },
  {
    user: 'What are the main trade-offs between PostgreSQL and SQLite for a small web application with one server?',
  },
  {
    system: 'You reason step by step, then give a final answer.',
    user: 'A train leaves at 14:10 and arrives at 17:45, with a 20-minute stop on the way. How long was it actually moving?',
  },
  {
    user: 'Give me a five-day beginner running plan that builds up to a 5 km run, with rest days.',
  },
  {
    user: 'Explain what a circuit breaker is in distributed systems and when it should open and close.',
  },
  {
    user: 'My sourdough starter smells like nail polish remover. Is it ruined, and what should I do?',
  },
  {
    system: 'You are a career advisor.',
    user: 'I am a high school chemistry teacher with ten years of experience and I want to move into data analysis. Which skills should I learn first, and how do I show employers I can do the job?',
  },
  {
    user: 'Compare renting and buying a home in a city where prices are 25 times the yearly rent. Which factors matter most?',
  },
  {
    system: 'You are a helpful coding assistant.',
    user: 'This SQL query is slow on a table with 20 million rows: SELECT * FROM orders WHERE customer_id = 42 ORDER BY created_at DESC LIMIT 10. How would you speed it up?',
  },
  {
    user: 'Write a short bedtime story about a lighthouse keeper who befriends a seagull. Keep it under 300 words.',
  },
  {
    user: 'What questions should I ask during a job interview for a senior backend engineer role to find out whether the team has a healthy on-call culture?',
  },
  {
    user: 'Explain how compound interest works, with an example of saving 200 dollars a month for 20 years at 5 percent.',
  },
  {
    system: 'You write long, detailed answers.',
    user: 'Write at length about the history of the printing press and how it changed science, religion and politics in Europe.',
  },
  {
    user: 'Draft release notes for version 2.3 of a note-taking app: offline sync, dark mode for the editor, faster search, and a fix for lost edits when two devices edit the same note.',
  },
  {
    user: 'Review this paragraph for clarity and grammar: "Our team have been working hard on the new feature, which we think that users will like it a lot, and it will be released soon hopefully next month if testing go well."',
  },
  {
    system: 'You are a helpful coding assistant.',
    user: 'Explain this error and how to fix it: "TypeError: Cannot read properties of undefined (reading \'map\')" in a React component that renders a list fetched from an API.',
  },
  {
    user: 'Plan a three-day trip to Lisbon for two people who like food, architecture and walking, on a moderate budget. Include one day trip outside the city.',
  },
  {
    user: 'I am preparing a talk about observability for a team of junior developers. Give me an outline with five sections, a one-sentence summary of each, and an exercise they can do afterwards.',
  },
  {
    system: 'You reason step by step, then give a final answer.',
    user: 'A shop sells pens in packs of 6 for 4 dollars and packs of 10 for 6 dollars. What is the cheapest way to buy exactly 46 pens, and how much does it cost?',
  },
  {
    user: 'Write a product description for a stainless steel water bottle that keeps drinks cold for 24 hours, aimed at hikers. Two short paragraphs and three bullet points.',
  },
  {
    user: 'Here are my notes from a meeting: "Q3 launch slipped two weeks because of the payments vendor. Marketing wants a new date by Friday. Engineering says the risk is the refund flow. Support needs docs a week before launch. Budget unchanged." Turn them into a short status update for executives with risks and next steps.',
  },
  {
    system: 'You are a helpful coding assistant.',
    user: 'I run a Node.js service behind a load balancer and see occasional 502 errors during deploys. The service listens on port 3000, the load balancer health-checks /health every 10 seconds, and deploys replace instances one at a time. What is probably happening and how do I make deploys seamless? Please cover graceful shutdown, keep-alive timeouts and readiness checks.',
  },
  {
    user: 'Write a cover letter for a junior UX designer position at a public library. I have a degree in graphic design, volunteered redesigning a food bank website, and spent two years working at a bookshop. The letter should be warm but professional and no longer than one page.',
  },
  {
    system: 'You answer questions accurately and briefly.',
    user: 'Explain the difference between latency percentiles p50, p95 and p99, why averages hide problems, and how many samples you need before p99 means anything.',
  },
  {
    system: 'You write long, detailed answers.',
    user: 'We are a team of eight engineers maintaining a monolith of about 400,000 lines of Ruby. Deploys take 45 minutes, tests are flaky, and two teams keep stepping on each other in the billing code. Management is asking whether we should split it into microservices. Write a thorough analysis of the options, including doing nothing, modularizing the monolith, and extracting services, with the costs, risks, a suggested sequence of steps for the next six months, and the signals that would tell us the plan is working.',
  },
];

/** Realistic prose repeated to build oversized prompts (about 150 tokens a copy). */
export const longFormPassage =
  'The quarterly operations review covered incident response, capacity planning and the migration of the billing ' +
  'service. During the quarter the team handled fourteen incidents, three of which affected customers for more than ' +
  'thirty minutes. The longest outage was caused by an expired certificate on an internal load balancer, which ' +
  'prevented the payment workers from reaching the ledger database. Capacity planning showed that peak traffic grew ' +
  'by eighteen percent, mostly from the mobile application, and that the search cluster will need two more nodes ' +
  'before the holiday season. The billing migration is two weeks behind schedule because the refund flow depends on ' +
  'a legacy batch job that nobody fully understands. ';
