// WinnowLM: interpolated modified Kneser-Ney n-gram language models — training over normalised
// word tokens, ARPA read/write, a memory-mapped binary format, and log10 probability and
// perplexity scoring of tokens, sentences and documents (cc_net-style). No Foundation here
// (docs/decisions/0003).
