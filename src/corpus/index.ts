/**
 * Shared reader of the real-document corpus (`../shared/corpus`): location, sorted listings and
 * exact (loss-refusing) JSON parsing.
 *
 * @example
 * import { corpusDir, listCorpusFiles, readCorpusJson } from '../corpus/index.js';
 * if (corpusDir()) for (const f of listCorpusFiles('vex', 'openvex')) readCorpusJson(f);
 */
export { corpusCandidate, corpusDir, corpusRelativePath, listCorpusFiles, readCorpusJson, readCorpusText, type CorpusKind } from './corpus-files.js';
export { ExactJsonError, jsonLossIssues, numberLossReason, parseExactJson, type JsonLossIssue } from './exact-json.js';
