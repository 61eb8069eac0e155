// WinnowPrompt: question-aware prompt compression (context ranking, sentence selection,
// word-level pruning by n-gram self-information, protected spans, budgets in a pluggable
// tokenizer) and in-context example selection (kNN, MMR, BM25, token-budget packing).
