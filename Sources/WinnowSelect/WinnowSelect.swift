// WinnowSelect: choosing documents — threshold and top-k on any score, DSIR importance
// resampling, domain mixing by a metadata key, and diversity selection (k-center greedy,
// facility location) over embeddings.
