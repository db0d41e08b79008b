"""zhseg's model side (installed as ``zhseg.model``): training, the model directory, the compiled
arrays, Viterbi, the Segmenter and its worker pool."""
