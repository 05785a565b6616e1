// Writes small data files in the public layouts of the paper's datasets with DuckDB, the independent writer the
// .NET tests read back: node parquet-fixtures.mjs OUT_DIR. Every file holds two rows; the shapes (nested structs,
// lists of structs, lists of strings, numbers as doubles) are those of the Hugging Face files.
import { DuckDBInstance } from '@duckdb/node-api';
const out = process.argv[2];
if (!out) { console.error('usage: node parquet-fixtures.mjs OUT_DIR'); process.exit(2); }
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const dapo = "Solve the following math problem step by step. The last line of your response should be of the form Answer: $Answer (without quotes) where $Answer is the answer to the problem.\n\n";
const dapoEnd = "\n\nRemember to put your answer on its own line after \"Answer:\".";
const q = (s) => "'" + s.replaceAll("'", "''") + "'";
const files = {
  // BytedTsinghua-SIA/DAPO-Math-17k: data_source, prompt (chat messages), ability, reward_model {ground_truth, style}, extra_info {index}
  'dapo-math-17k.parquet': `SELECT * FROM (VALUES
      ('math_dapo', [{'content': ${q(dapo)} || 'What is $1+1$?' || ${q(dapoEnd)}, 'role': 'user'}], 'MATH', {'ground_truth': '2', 'style': 'rule-based'}, {'index': 'a-1'}),
      ('math_dapo', [{'content': 'You are a helpful assistant.', 'role': 'system'}, {'content': 'Find $x$ if $2x = 34$.', 'role': 'user'}], 'MATH', {'ground_truth': '17', 'style': 'rule-based'}, {'index': 'a-2'})
    ) t(data_source, prompt, ability, reward_model, extra_info)`,
  // HuggingFaceH4/MATH-500: problem, solution, answer, subject, level, unique_id
  'math500.parquet': `SELECT * FROM (VALUES
      ('Compute $\\frac{1}{2}+\\frac{1}{4}$.', 'We get $\\boxed{\\frac{3}{4}}$.', '\\frac{3}{4}', 'Algebra', 1, 'test/algebra/1.json'),
      ('Solve $x^2=4$ for $x>0$.', 'So $\\boxed{2}$.', '2', 'Algebra', 2, 'test/algebra/2.json')
    ) t(problem, solution, answer, subject, level, unique_id)`,
  // Maxwell-Jia/AIME_2024: ID, Problem, Solution, Answer (an integer)
  'aime2024.parquet': `SELECT * FROM (VALUES
      ('2024-I-1', 'Find the remainder when $7^{2024}$ is divided by $100$.', 'It is 1.', 1::BIGINT),
      ('2024-I-2', 'How many positive divisors has $720$?', 'It has 30.', 30::BIGINT)
    ) t(ID, Problem, Solution, Answer)`,
  // AI-MO/aimo-validation-amc: id, problem, answer (a double), url
  'amc.parquet': `SELECT * FROM (VALUES
      (0::BIGINT, 'What is $3 \\cdot 47$?', 141.0::DOUBLE, 'https://artofproblemsolving.com/wiki/a'),
      (1::BIGINT, 'What is half of $5$?', 2.5::DOUBLE, 'https://artofproblemsolving.com/wiki/b')
    ) t(id, problem, answer, url)`,
  // Hothan/OlympiadBench: id, question, solution (list), final_answer (list), is_multiple_answer, unit, answer_type
  'olympiadbench.parquet': `SELECT * FROM (VALUES
      (1606::BIGINT, 'Find all real $x$ with $x^2 = 9$.', ['Since...'], ['$3$', '$-3$'], true, NULL, 'Numerical'),
      (1607::BIGINT, 'Compute $2^{10}$.', ['It is...'], ['$1024$'], false, NULL, 'Numerical')
    ) t(id, question, solution, final_answer, is_multiple_answer, unit, answer_type)`,
  // math-ai/minervamath: question, answer
  'minerva.parquet': `SELECT * FROM (VALUES
      ('A star has luminosity... compute $L$ in erg/s.', '3.83e33'),
      ('Give the speed of light in m/s.', '3e8')
    ) t(question, answer)`,
  // a private layout read through a field mapping: promptField "meta.text", answerField "labels.gold"
  'custom.parquet': `SELECT * FROM (VALUES
      ({'text': 'What is $6 \\times 7$?', 'lang': 'en'}, {'gold': '42'}),
      ({'text': 'What is $9-4$?', 'lang': 'en'}, {'gold': '5'})
    ) t(meta, labels)`,
  // broken: a MATH500 file without its answer column
  'no-answer.parquet': `SELECT * FROM (VALUES ('What is 1+1?', 'test/1.json')) t(problem, unique_id)`,
  // broken: a row whose answer is empty
  'empty-answer.parquet': `SELECT * FROM (VALUES ('What is 1+1?', '2'), ('What is 2+2?', '')) t(problem, answer)`,
};
for (const [name, select] of Object.entries(files))
  await c.run(`COPY (${select}) TO ${q(out + '/' + name)} (FORMAT parquet)`);
console.log(Object.keys(files).join('\n'));
