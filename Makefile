# Two entry points for a newcomer: `make demo` and `make test`. Both create .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEMO := build/demo
STAMP := $(VENV)/.installed

.PHONY: demo test install clean bench-core bench-speed bench-featurization bench-compare bench-pkuseg bench-ablation bench-userwords bench-knowledge default-model core-tables

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[train,test,bench,dask,spacy]'
	touch $(STAMP)

demo: $(STAMP)
	@mkdir -p $(DEMO)
	@echo "== 1. segment the web seed's text (its @@ marks removed) with the embedded default model"
	sed 's/@@//g' seeds/004_*.txt > $(DEMO)/web.txt
	$(PY) -m zhseg segment $(DEMO)/web.txt -o $(DEMO)/web.seg.txt
	@grep -v "^$$" $(DEMO)/web.seg.txt | head -n 3 | cut -c 1-200
	@echo "== 2. evaluate the default model on the news seed (no training corpus holds it)"
	$(PY) -m zhseg evaluate seeds/000_*.txt
	@echo "== 3. how much of the web seed's @@ boundaries the default model keeps"
	$(PY) -m zhseg evaluate seeds/004_*.txt --partial
	@echo "== 4. train a model of your own on the news seed, and segment with it"
	$(PY) -m zhseg train seeds/000_*.txt -o $(DEMO)/model --max-iterations 100 --quiet
	echo "阿里云总裁胡晓明接受专访" | $(PY) -m zhseg segment --model $(DEMO)/model

test: $(STAMP)
	$(PY) -m pytest
	@echo "== the numpy path alone, as an install without a C compiler has it"
	ZHSEG_NO_CORE=1 $(PY) -m pytest tests/test_segmenter.py tests/test_constraints.py tests/test_default_model.py

# Benchmarks: each rewrites its own section of benchmarks/RESULTS.md (needs ../shared/corpora).
bench-core: $(STAMP)
	for corpus in ctb6 nlpcc2016-weibo sxu-sighan2008; do \
	  for preset in standard accurate; do $(PY) benchmarks/core.py --corpus $$corpus --features $$preset || exit 1; done; \
	done

# The embedded default model beside jieba and rjieba (about 5 minutes: jieba on 50 MB)
bench-speed: $(STAMP)
	$(PY) -m pip install --quiet rjieba
	$(PY) benchmarks/speed.py

# Where the default model's training spends its time before crfsuite iterates (about 10 minutes,
# 4 GB; needs ../shared/corpora)
bench-featurization: $(STAMP)
	$(PY) benchmarks/featurization.py

bench-compare: $(STAMP)
	$(PY) -m pip install --quiet rjieba matplotlib thulac spacy-pkuseg
	$(PY) benchmarks/compare.py

# Retrains spacy-pkuseg on each corpus (about 30 to 80 minutes each here); bench-compare then
# includes it. Run before bench-compare.
bench-pkuseg: $(STAMP)
	$(PY) -m pip install --quiet spacy-pkuseg
	$(PY) benchmarks/pkuseg_train.py ctb6 nlpcc2016-weibo sxu-sighan2008

# User words and rules (issue 11): needs bench-core's models of ctb6, nlpcc2016-weibo and sxu-sighan2008
bench-userwords: $(STAMP)
	$(PY) benchmarks/userwords.py

# Word lists and several corpora (issue 15): trains what build/knowledge lacks (about 1.5 hours)
bench-knowledge: $(STAMP)
	$(PY) benchmarks/knowledge.py

# The embedded default model (MODEL_CARD.md): five corpora, each keeping its standard (CTB6,
# NLPCC 2016 Weibo, SIGHAN 2008 SXU, UD Chinese GSD, People's Daily 1998 for the PKU standard),
# jieba's MIT-licensed dict.txt and the SIGHAN 2005 PKU and MSR training word lists as word-list
# features, traditional characters folded. Needs ../shared/corpora; about 100 minutes on one core
# (crfsuite trains on one; 11 GB of memory). Writes build/default-model (with the crfsuite file),
# then model/default without it (what the package ships), with DEFAULT_STANDARD its default: the
# best mean F1 on text no standard trains on (benchmarks/default_model.py, the 'default-model'
# section of RESULTS.md; MODEL_CARD.md).
CORPORA := ../shared/corpora
DEFAULT_STANDARD ?= weibo
JIEBA_DICT = $(shell $(PY) -c "import jieba, os; print(os.path.join(os.path.dirname(jieba.__file__), 'dict.txt'))")
WORD_LISTS = --dict $(JIEBA_DICT) --dict $(CORPORA)/sighan2005/gold/pku_training_words.utf8 \
	  --dict $(CORPORA)/sighan2005/gold/msr_training_words.utf8
default-model: $(STAMP)
	$(PY) train.py $(CORPORA)/ctb6/train.txt $(CORPORA)/nlpcc2016-weibo/train.txt $(CORPORA)/sxu-sighan2008/train.txt \
	  $(CORPORA)/udc-ud1.4-hankcs/train.txt $(CORPORA)/pku-pfr1998/train.txt --standards ctb6,weibo,sxu,ud,pku \
	  $(WORD_LISTS) --dev $(CORPORA)/ctb6/dev.txt -o build/default-model
	$(PY) -m zhseg.model.embed build/default-model model/default --compress --default $(DEFAULT_STANDARD)

# The embedded model's core.tables, written anew from its arrays (after a change to the compiled
# core's layout; tests/test_core_tables.py fails until they are current). Seconds, no retraining.
core-tables: $(STAMP)
	$(PY) -c "from zhseg.model.store import add_core_tables; print(add_core_tables('model/default'))"

bench-ablation: $(STAMP)
	$(PY) benchmarks/ablation.py --corpus ctb6
	$(PY) benchmarks/ablation.py --corpus nlpcc2016-weibo --only "accurate (dictionary, k-fold), BMES" \
	  --only "variety (accurate + accessor variety of 2- to 4-grams, k-fold), BMES" --only "variety, --raw the dev text unsegmented"

clean:
	rm -rf build $(VENV)
