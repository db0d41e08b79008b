"""jieba.posseg has no counterpart in zhseg: importing it says so."""

raise ImportError("zhseg does not do what jieba.posseg does (part-of-speech tagging): "
                  "zhseg segments words only (cut, lcut, cut_for_search, tokenize); use jieba.posseg for that")
