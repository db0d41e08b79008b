"""jieba.analyse has no counterpart in zhseg: importing it says so."""

raise ImportError("zhseg does not do what jieba.analyse does (keyword extraction): "
                  "zhseg segments words only (cut, lcut, cut_for_search, tokenize); use jieba.analyse for that")
