"""zhseg's feature side (installed as ``zhseg.features``): corpus reading, tags, character folding
and classes, feature templates, dictionary matching and accessor variety. Nothing here knows the
model."""
