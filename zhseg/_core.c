/* zhseg's compiled core: from the characters of lines to their words, in one call per batch.
 *
 * What the numpy path does step by step (features/chars.py, features/templates.py,
 * features/lexicon.py, features/variety.py, model/compiled.py, model/constraints.py,
 * model/viterbi.py), done here per sequence without intermediate arrays: character folding and
 * classes, every base's keys, the lexicon and word-list matches, accessor variety, the weight
 * rows, the constraint masks and Viterbi. The model's tables are handed in once as arrays
 * (model/core.py lays them out), or as the bytes Core.tables wrote of them (load_tables, near
 * the end of this file); the core keeps no other state, and a call changes nothing in
 * it, so one Core may be used by several threads at once (the GIL is released while decoding).
 *
 * Floats: a template's row for a key is 0.0 plus its members' rows in member order (one member,
 * or a shared template and its standard's copy: model/compiled.py, CompiledCRF.summed, does the
 * same); each position's state scores start from 0.0 and add the templates' rows in template
 * order (a template without a row adds zeros, as the numpy path adds its zero row: the sum's value
 * unchanged); Viterbi does crfsuite's operations in crfsuite's order with its tie
 * rule. So the labels are the numpy path's, which the tests check line by line.
 *
 * Features and scores are computed block by block; only the backpointers of a sequence are kept
 * whole (one byte per label and character), so a line of millions of characters costs a few
 * bytes per character.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <immintrin.h>
#endif
#ifdef __GLIBC__
#include <malloc.h>
#endif
#ifdef __linux__
#include <sys/mman.h>
#include <unistd.h>
#endif

#define CODE_SPACE 0x110002LL
#define BOS 0x110000
#define EOS 0x110001
#define N_CLASSES 8
#define FNV_PRIME 0x100000001B3ULL
#define FNV_SEED 0xCBF29CE484222325ULL
#define FIB 0x9E3779B97F4A7C15ULL
#define WORD 1
#define PREFIX 2
#define MAX_LABELS 8
#define MAX_LEXICONS 16 /* two flag bits each in a 32-bit value */
#define MAX_LENGTH 16
#define BLOCK 512 /* positions a window decodes: its keys, records and scores (~125 KB for the default
                    * model) stay in L2 with the rows they prefetch; 2048 (~500 KB) ran 2-4% slower */
#define PREFETCH 6          /* positions ahead: a lexicon's slots */
#define PREFETCH_LENGTHS 3  /* ... for the lengths up to this */
#define FILTER_AHEAD 12     /* positions ahead: the pieces' filter, for the lengths up to one more */
#define PREFETCH_KEYS 20     /* keys ahead: a base's hash slot */
#define FREE 0
#define MUST 1
#define NEVER 2

enum { K_CHAR, K_PAIR, K_CLASS, K_CLASS3, K_SAME, K_LEX, K_AV };

/* -- memory for the large tables ------------------------------------------------------------------ */
#define HUGE_PAGE ((size_t)2 << 20)

/* n bytes for a table read at random (free with free): from HUGE_PAGE up, on 2 MB pages where
 * Linux gives them on request (transparent huge pages, "madvise" or "always"). With 4 KB pages
 * the default model's 25 MB of tables are 6,000 pages, past what the TLB holds, so nearly every
 * probe of a large table, prefetches included, first walks the page table. NULL: out of memory */
static void *table_alloc(size_t n) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (n >= HUGE_PAGE) {
        void *p = NULL;
        const size_t rounded = (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
        if (posix_memalign(&p, HUGE_PAGE, rounded) != 0) return NULL;
        madvise(p, rounded, MADV_HUGEPAGE); /* a request: without huge pages the table works the same */
        return p;
    }
#endif
    return malloc(n);
}

/* -- open-addressing hash tables over non-negative int64 keys (Fibonacci hashing, linear probing);
 * key and value side by side, so a probe costs one cache line */
typedef struct __attribute__((packed)) {
    int64_t key; /* -1: empty */
    int32_t value;
} Slot; /* 12 bytes: more of a table stays in cache */

typedef struct {
    int bits;
    uint64_t mask;
    Py_ssize_t n; /* keys held */
    Slot *slots;
} Hash;

/* bits of an open-addressing table for n keys at most load full */
static int table_bits(Py_ssize_t n, double load) {
    int bits = 4;
    while ((double)(1LL << bits) * load < (double)n) bits++;
    return bits;
}

/* an empty table of 2^bits slots: 0, or -1 (out of memory) */
static int hash_alloc_bits(Hash *h, int bits) {
    h->bits = bits;
    h->mask = (1ULL << bits) - 1;
    h->n = 0;
    h->slots = malloc(sizeof(Slot) << bits);
    if (!h->slots) return -1;
    for (uint64_t i = 0; i <= h->mask; i++) h->slots[i] = (Slot){-1, 0}; /* every byte set: Core.tables writes them */
    return 0;
}

static int hash_alloc_at(Hash *h, Py_ssize_t n, double load) { return hash_alloc_bits(h, table_bits(n, load)); }

static int hash_alloc(Hash *h, Py_ssize_t n) { return hash_alloc_at(h, n, 0.6); }

/* the slot of key: where it is, or the empty slot where it would go */
static inline Slot *hash_slot(const Hash *h, int64_t key) {
    uint64_t slot = ((uint64_t)key * FIB) >> (64 - h->bits);
    for (;;) {
        Slot *s = &h->slots[slot];
        if (s->key == key || s->key == -1) return s;
        slot = (slot + 1) & h->mask;
    }
}

static int hash_build(Hash *h, const int64_t *keys, const int32_t *values, Py_ssize_t n) {
    if (hash_alloc(h, n) < 0) return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        Slot *s = hash_slot(h, keys[i]);
        h->n += s->key == -1;
        s->key = keys[i];
        s->value = values[i];
    }
    return 0;
}

/* the table at twice the size, its entries moved: 0, or -1 (out of memory; the table unchanged) */
static int hash_grow(Hash *h) {
    Hash bigger;
    if (hash_alloc_bits(&bigger, h->bits + 1) < 0) return -1;
    for (uint64_t i = 0; i <= h->mask; i++) {
        if (h->slots[i].key == -1) continue;
        Slot *s = hash_slot(&bigger, h->slots[i].key);
        *s = h->slots[i];
    }
    bigger.n = h->n;
    free(h->slots);
    *h = bigger;
    return 0;
}

/* the slot of key, added (value 0) if it is not there, the table doubled first if it would be over
 * 0.6 full: NULL, out of memory */
static Slot *hash_add(Hash *h, int64_t key) {
    Slot *s = hash_slot(h, key);
    if (s->key == key) return s;
    if ((double)(h->n + 1) > 0.6 * (double)(h->mask + 1)) {
        if (hash_grow(h) < 0) return NULL;
        s = hash_slot(h, key);
    }
    s->key = key;
    s->value = 0;
    h->n++;
    return s;
}

static inline int32_t hash_get(const Hash *h, int64_t key, int32_t missing) {
    const Slot *s = hash_slot(h, key);
    return s->key == key ? s->value : missing;
}

static void hash_free(Hash *h) {
    free(h->slots);
    h->slots = NULL;
}

/* A base's key -> its record: where its rows start in the packed weights (high 32 bits) and which
 * of the base's templates have a row (a bit mask, low 32 bits). Held in the table itself, so a
 * template's row is one dependent load after the probe, not three. */
typedef uint64_t Record;
#define RECORD(row, mask) (((Record)(uint32_t)(row) << 32) | (uint32_t)(mask))
#define RECORD_ROW(r) ((uint32_t)((r) >> 32))
#define RECORD_MASK(r) ((uint32_t)(r))

typedef struct {
    int64_t key; /* -1: empty */
    Record value;
} RecordSlot; /* 16 bytes: four to a cache line */

typedef struct {
    int bits;
    uint64_t mask;
    Py_ssize_t n; /* keys held */
    RecordSlot *slots;
} RecordHash;

/* an empty table of 2^bits slots: 0, or -1 (out of memory) */
static int record_hash_alloc(RecordHash *h, int bits) {
    h->bits = bits;
    h->mask = (1ULL << bits) - 1;
    h->n = 0;
    if (!(h->slots = table_alloc(sizeof(RecordSlot) << bits))) return -1;
    for (uint64_t i = 0; i <= h->mask; i++) h->slots[i] = (RecordSlot){-1, 0}; /* every byte set: Core.tables writes them */
    return 0;
}

/* the slot of key: where it is, or the empty slot where it would go */
static inline RecordSlot *record_slot(const RecordHash *h, int64_t key) {
    uint64_t slot = ((uint64_t)key * FIB) >> (64 - h->bits);
    while (h->slots[slot].key != key && h->slots[slot].key != -1) slot = (slot + 1) & h->mask;
    return &h->slots[slot];
}

static int record_hash_build(RecordHash *h, const int64_t *keys, const Record *values, Py_ssize_t n) {
    if (record_hash_alloc(h, table_bits(n, 0.6)) < 0) return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        RecordSlot *s = record_slot(h, keys[i]);
        h->n += s->key == -1;
        s->key = keys[i];
        s->value = values[i];
    }
    return 0;
}

static inline Record record_hash_get(const RecordHash *h, int64_t key, Record missing) {
    const RecordSlot *s = record_slot(h, key);
    return s->key == key ? s->value : missing;
}

/* hash_grow's, for records: twice the slots, every key moved. 0, or -1 (out of memory) */
static int record_hash_grow(RecordHash *h) {
    RecordHash bigger;
    if (record_hash_alloc(&bigger, h->bits + 1) < 0) return -1;
    for (uint64_t i = 0; i <= h->mask; i++)
        if (h->slots[i].key != -1) *record_slot(&bigger, h->slots[i].key) = h->slots[i];
    bigger.n = h->n;
    free(h->slots);
    *h = bigger;
    return 0;
}

/* the slot of key in h, added (record 0) if it is not there: the table doubled first when it
 * would be over 0.6 full; NULL: out of memory */
static RecordSlot *record_hash_add(RecordHash *h, int64_t key) {
    RecordSlot *s = record_slot(h, key);
    if (s->key == key) return s;
    if ((double)(h->n + 1) > 0.6 * (double)(h->mask + 1)) {
        if (record_hash_grow(h) < 0) return NULL;
        s = record_slot(h, key);
    }
    s->key = key;
    s->value = 0;
    h->n++;
    return s;
}

/* -- the model's tables ------------------------------------------------------------------------ */
/* Every lexicon's pieces in one table: an n-gram's hash -> per lexicon l, its WORD and PREFIX
 * flags at bits 2l and 2l + 1. The lexicons hash n-grams alike, so one probe per position and
 * length serves all of them; a position goes on to the next length while some lexicon has a
 * longer word beginning with its piece (every piece of a word is a PREFIX piece of its lexicon,
 * so no match is lost). The numpy path's prefix filters only ever skip n-grams that are in no
 * table, so they are not needed here. */
#define PREFIX_BITS 0xAAAAAAAAu

/* the pieces' table key of an n-gram of length len, from the FNV hash of its code points */
static inline int64_t piece_key(uint64_t prefix, int len) { return (int64_t)(((prefix ^ (uint64_t)len) * FNV_PRIME) >> 1); }

/* The pieces' table as decoding reads it: 8 bytes a slot, eight to a cache line, a piece's flags in
 * its low flag_bits (two per lexicon) and above them a fingerprint of its key, the low bits of
 * key * FIB (the home slot is the top bits); 0: empty (every piece has a flag). Two keys are
 * taken for one only when their fingerprints agree within one probe run: about once in
 * 2^(64 - flag_bits) lookups, 2^56 with four lexicons, far rarer than the key's own 63-bit hash
 * colliding, which the numpy path shares. A third the size of a table of keys and values: more
 * of it stays in cache. */
typedef struct {
    int bits, flag_bits;
    uint64_t mask, flags_mask;
    uint64_t *slots;
    int filter_bits;
    uint64_t *filter;  /* a bit per hash of the keys: clear where no piece is (most probes), read
                        * from cache before the table's line from memory */
} PieceTable;

#define FILTER_PER_PIECE 10 /* bits: about one probe in ten for no piece passes */
#define FILTER_MIX 0xD6E8FEB86659FD93ULL /* odd, unlike FIB: the filter's bits not the home slot's */

static inline uint64_t piece_filter_bit(const PieceTable *t, int64_t key) {
    return ((uint64_t)key * FILTER_MIX) >> (64 - t->filter_bits);
}

/* may key be a piece? (no: it is none) */
static inline int piece_maybe(const PieceTable *t, int64_t key) {
    const uint64_t bit = piece_filter_bit(t, key);
    return (t->filter[bit >> 6] >> (bit & 63)) & 1;
}

#define PIECE_LOAD 0.8 /* 8-slot lines: a probe run still ends within a line or two */

static inline uint64_t piece_home(const PieceTable *t, int64_t key) { return ((uint64_t)key * FIB) >> (64 - t->bits); }

static inline uint64_t piece_print(const PieceTable *t, int64_t key) {
    return ((uint64_t)key * FIB) & (~0ULL >> t->flag_bits);
}

/* the slot of key: its piece's, or the empty slot where it would go */
static inline uint64_t *piece_slot(const PieceTable *t, int64_t key) {
    const uint64_t print = piece_print(t, key);
    uint64_t slot = piece_home(t, key);
    while (t->slots[slot] && t->slots[slot] >> t->flag_bits != print) slot = (slot + 1) & t->mask;
    return &t->slots[slot];
}

/* the flags of the piece whose key is key, or 0 */
static inline uint32_t piece_flags(const PieceTable *t, int64_t key) {
    return piece_maybe(t, key) ? (uint32_t)(*piece_slot(t, key) & t->flags_mask) : 0;
}

/* the table of the n pieces of h (flag_bits of flags each, the keys no piece has left out):
 * 0, or -1 (out of memory) */
static int piece_table_build(PieceTable *t, const Hash *h, int flag_bits) {
    t->flag_bits = flag_bits;
    t->flags_mask = (1ULL << flag_bits) - 1;
    t->bits = table_bits(h->n, PIECE_LOAD);
    t->mask = (1ULL << t->bits) - 1;
    t->filter_bits = table_bits(h->n * FILTER_PER_PIECE, 1.0);
    if (t->filter_bits < 6) t->filter_bits = 6;
    if (!(t->slots = table_alloc(sizeof(uint64_t) << t->bits))) return -1;
    memset(t->slots, 0, sizeof(uint64_t) << t->bits);
    if (!(t->filter = calloc((size_t)1 << (t->filter_bits - 6), sizeof(uint64_t)))) return -1;
    for (uint64_t i = 0; i <= h->mask; i++) {
        const Slot *from = &h->slots[i];
        const uint64_t flags = (uint32_t)from->value & t->flags_mask;
        if (from->key == -1 || !flags) continue;
        *piece_slot(t, from->key) |= piece_print(t, from->key) << flag_bits | flags;
        const uint64_t bit = piece_filter_bit(t, from->key);
        t->filter[bit >> 6] |= 1ULL << (bit & 63);
    }
    return 0;
}

/* a character pair's key in the pair bases: its two code points packed */
static inline int64_t pair_code(uint32_t first, uint32_t second) { return (int64_t)first * CODE_SPACE + second; }

/* ... of the 2-character piece whose code points are packed as the adjacent-pair base's key */
static inline int64_t pair_piece_key(int64_t pair) {
    uint64_t first = (uint64_t)pair / CODE_SPACE, second = (uint64_t)pair % CODE_SPACE;
    return piece_key(((FNV_SEED ^ first) * FNV_PRIME ^ second) * FNV_PRIME, 2);
}

/* a lexicon's 2-character pieces: their code points as the adjacent-pair base's keys, and flags */
typedef struct {
    int given;             /* 1: the lexicon handed them in (or has no such pieces) */
    Py_ssize_t n;
    int64_t *keys;
    uint8_t *flags;
} PairList;

typedef struct {
    int max_length;
    int has[MAX_LENGTH + 1];
    Hash index[MAX_LENGTH + 1];   /* n-gram hash -> left bucket | right bucket << 8 */
} Variety;

typedef struct {
    int kind, param, part; /* K_PAIR: distance; K_SAME: distance back; K_LEX: lexicon and part; K_AV: length, part */
    int64_t domain;        /* > 0: a direct-index table of that many keys; 0: a hash of records */
    int n_slots;           /* the base's template slots */
    uint32_t row_bits;     /* the bits of its record masks that are slots with rows (the pair base's
                            * records carry the pieces' flags above them) */
    double *table;         /* direct-index: (domain + 1) x n_slots rows, every slot of every key (a zero
                            * row where a slot has none; key `domain` stands for any key out of range).
                            * Small domains only: a template's row is then one load, no mask to read */
    RecordHash hash;
} Base;

typedef struct {
    int base, offset, slot;
} Template;

typedef struct {
    PyObject_HEAD
    int n_labels, n_bases, n_templates, radius, n_lexicons, isolate;
    int pointer_bytes;     /* backpointers per character: one byte for up to four labels */
    Base *bases;
    Template *templates;
    double *weights;       /* packed rows, n_labels each */
    Py_ssize_t n_rows;
    double transitions[MAX_LABELS * MAX_LABELS];
    uint8_t allowed[9 * MAX_LABELS];
    uint8_t start_label[MAX_LABELS], end_label[MAX_LABELS];
    uint32_t *fold_bmp;    /* folding of the code points below 0x10000 */
    Py_ssize_t n_fold_hi;
    int64_t *fold_hi_keys, *fold_hi_values;
    uint8_t *class_bmp;    /* class of folded code points below 0x10000 */
    Py_ssize_t n_class_hi;
    int64_t *class_hi_starts; /* from 0x10000 up: runs of one class */
    uint8_t *class_hi_values;
    uint8_t *isolating;    /* bitmap over all code points: punctuation, symbols, pictographs */
    int lexicon_length[MAX_LEXICONS];
    int longest_word;
    Hash piece_build;      /* the pieces while the tables are laid out */
    PieceTable pieces;
    int pair_base;         /* the adjacent-pair base whose records carry the 2-character pieces' flags, or -1 */
    int pair_shift;        /* where in its record masks the flags start */
    PairList *pairs;       /* per lexicon, while the tables are laid out: its 2-character pieces */
    int has_variety;
    Variety variety;
} Core;

/* -- helpers to read the arrays model/core.py hands in ---------------------------------------- */
static void *copy_buffer(PyObject *obj, Py_ssize_t itemsize, Py_ssize_t *count, const char *what) {
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    if (view.len % itemsize) {
        PyErr_Format(PyExc_ValueError, "%s: %zd bytes is not a whole number of %zd-byte items", what, view.len, itemsize);
        PyBuffer_Release(&view);
        return NULL;
    }
    void *out = malloc(view.len ? view.len : 1);
    if (!out) {
        PyBuffer_Release(&view);
        PyErr_NoMemory();
        return NULL;
    }
    memcpy(out, view.buf, view.len);
    *count = view.len / itemsize;
    PyBuffer_Release(&view);
    return out;
}

static int build_hash_from(Hash *h, PyObject *keys_obj, PyObject *values_obj, const char *what) {
    Py_ssize_t nk, nv;
    int64_t *keys = copy_buffer(keys_obj, 8, &nk, what);
    if (!keys) return -1;
    int32_t *values = copy_buffer(values_obj, 4, &nv, what);
    if (!values) {
        free(keys);
        return -1;
    }
    int ok = nk == nv ? hash_build(h, keys, values, nk) : -2;
    free(keys);
    free(values);
    if (ok == -2) PyErr_Format(PyExc_ValueError, "%s: keys and values differ in length", what);
    else if (ok < 0) PyErr_NoMemory();
    return ok < 0 ? -1 : 0;
}

static void pairs_free(Core *self) {
    if (!self->pairs) return;
    for (int l = 0; l < MAX_LEXICONS; l++) { free(self->pairs[l].keys); free(self->pairs[l].flags); }
    free(self->pairs);
    self->pairs = NULL;
}

/* bytes of tables (Core.memory), built or read alike */
static Py_ssize_t tables_memory(const Core *c) {
    Py_ssize_t memory = 0x10000 * 5 + (CODE_SPACE + 7) / 8 + c->n_rows * c->n_labels * 8;
    for (int b = 0; b < c->n_bases; b++)
        memory += c->bases[b].domain > 0 ? (Py_ssize_t)sizeof(double) * (c->bases[b].domain + 1) * c->bases[b].n_slots * c->n_labels
                                         : (Py_ssize_t)sizeof(RecordSlot) << c->bases[b].hash.bits;
    return memory + (sizeof(uint64_t) << c->pieces.bits) + ((size_t)1 << c->pieces.filter_bits) / 8;
}

/* whether a base's kind, parameter and domain are ones the decoder reads safely (the lexicons
 * and accessor variety known already) */
static int base_in_range(const Core *c, const Base *base) {
    return !((base->kind == K_LEX && (base->param < 0 || base->param >= c->n_lexicons)) ||
             (base->kind == K_AV && (!c->has_variety || base->param < 2 || base->param > c->variety.max_length)) ||
             ((base->kind == K_PAIR || base->kind == K_SAME) && (base->param < 1 || base->param > 64)) ||
             base->kind < K_CHAR || base->kind > K_AV || base->domain < 0 || base->domain > (1 << 24));
}

/* whether a template reads a base there is, within the radius, at one of a mask's 32 slots */
static int template_in_range(const Core *c, const Template *t) {
    return t->base >= 0 && t->base < c->n_bases && abs(t->offset) <= c->radius && t->slot >= 0 && t->slot <= 31;
}

static void core_dealloc(Core *self) {
    if (self->bases) {
        for (int b = 0; b < self->n_bases; b++) {
            free(self->bases[b].table);
            free(self->bases[b].hash.slots);
        }
    }
    free(self->bases);
    free(self->templates);
    free(self->weights);
    free(self->fold_bmp);
    free(self->fold_hi_keys);
    free(self->fold_hi_values);
    free(self->class_bmp);
    free(self->class_hi_starts);
    free(self->class_hi_values);
    free(self->isolating);
    hash_free(&self->piece_build);
    free(self->pieces.slots);
    free(self->pieces.filter);
    pairs_free(self);
    for (int n = 0; n <= MAX_LENGTH; n++) hash_free(&self->variety.index[n]);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

#define ITEM(seq, i) PySequence_Fast_GET_ITEM(seq, i)

/* obj, or what it makes when it is a function (a new reference either way) */
static PyObject *call_or_take(PyObject *obj) {
    if (PyCallable_Check(obj)) return PyObject_CallNoArgs(obj);
    Py_INCREF(obj);
    return obj;
}

/* bits OR-ed into key's value in the pieces' table, key added if new: 0, or -1 (out of memory) */
static int pieces_add(Core *self, int64_t key, uint32_t bits) {
    Slot *s = hash_add(&self->piece_build, key);
    if (!s) return -1;
    s->value |= (int32_t)bits;
    return 0;
}

/* The 2-character pieces the lexicons handed in (take_pairs), lexicon l's WORD and PREFIX flags at
 * bits 2l and 2l + 1 above pair_shift, written into the records of the adjacent-pair base, whose
 * key at a position is the piece starting there, a record added for each piece the base has none
 * of: lexicon matching reads a position's flags from the record records() has already fetched
 * instead of probing the pieces' table (one random cache line a character less), and a pair
 * without a record is no piece. Only where every lexicon handed its pieces in, the model has
 * that base and the flags fit above its slots in 32 bits; otherwise the pieces go to the pieces'
 * table with the longer ones, and pair_base stays -1. 0, or -1: out of memory */
static int pair_pieces(Core *self) {
    self->pair_base = -1;
    int given = self->n_lexicons > 0;
    for (int l = 0; given && l < self->n_lexicons; l++) given = self->pairs[l].given;
    Base *base = NULL;
    int shift = 0;
    for (int b = 0; given && b < self->n_bases && self->pair_base < 0; b++) {
        if (self->bases[b].kind != K_PAIR || self->bases[b].param != 1 || self->bases[b].domain > 0) continue;
        shift = self->bases[b].n_slots;
        for (int j = 0; j < self->n_templates; j++)
            if (self->templates[j].base == b && self->templates[j].slot >= shift) shift = self->templates[j].slot + 1;
        if (shift + 2 * self->n_lexicons > 32) break;
        base = &self->bases[b];
        self->pair_base = b;
        self->pair_shift = shift;
        base->row_bits = (1u << shift) - 1;
    }
    int failed = 0;
    for (int l = 0; l < self->n_lexicons && !failed; l++) {
        const PairList *p = &self->pairs[l];
        for (Py_ssize_t i = 0; i < p->n && !failed; i++) {
            uint32_t flags = p->flags[i] & 3;
            if (base) {
                RecordSlot *slot = record_hash_add(&base->hash, p->keys[i]);
                if (slot) slot->value |= (Record)(flags << (shift + 2 * l));
                failed = !slot;
            } else {
                failed = pieces_add(self, pair_piece_key(p->keys[i]), flags << (2 * l)) < 0;
            }
        }
    }
    pairs_free(self);
    failed = failed || piece_table_build(&self->pieces, &self->piece_build, 2 * (self->n_lexicons ? self->n_lexicons : 1)) < 0;
    hash_free(&self->piece_build);
    return failed ? -1 : 0;
}

/* A lexicon's 2-character pieces from its length-2 table entry (length, keys, flags, pairs):
 * pairs[i], the piece's code points as the adjacent-pair base's key, must hash to keys[i].
 * 1, or 0 (the error set; *oom where out of memory) */
static int take_pairs(PairList *p, PyObject *entry, const int64_t *keys, const uint8_t *flags, Py_ssize_t n, int *oom) {
    if (p->keys) { PyErr_SetString(PyExc_ValueError, "a lexicon has two tables of 2-character pieces"); return 0; }
    Py_buffer pv;
    if (PyObject_GetBuffer(PyTuple_GET_ITEM(entry, 3), &pv, PyBUF_C_CONTIGUOUS) < 0) return 0;
    int fine = pv.len == n * 8;
    const int64_t *pairs = pv.buf;
    if (fine && (!(p->keys = malloc(sizeof(int64_t) * (n ? n : 1))) || !(p->flags = malloc(n ? n : 1)))) fine = 0, *oom = 1;
    for (Py_ssize_t i = 0; fine && i < n; i++) {
        if (keys[i] < 0) continue; /* never a hash */
        uint64_t first = (uint64_t)pairs[i] / CODE_SPACE, second = (uint64_t)pairs[i] % CODE_SPACE;
        fine = pairs[i] >= 0 && first > 0 && first < BOS && second > 0 && second < BOS && pair_piece_key(pairs[i]) == keys[i];
        p->keys[p->n] = pairs[i];
        p->flags[p->n++] = flags[i];
    }
    PyBuffer_Release(&pv);
    if (!fine && !*oom) PyErr_SetString(PyExc_ValueError, "a lexicon's 2-character pieces do not match its keys");
    return fine;
}

/* Core(spec): spec is the dict model/core.py builds; see CoreTables there for each entry. */
static int core_init(Core *self, PyObject *args, PyObject *kwds) {
    PyObject *spec;
    if (!PyArg_ParseTuple(args, "O!", &PyDict_Type, &spec)) return -1;
#define GET(name) PyObject *name = PyDict_GetItemString(spec, #name); \
    if (!name) { PyErr_SetString(PyExc_KeyError, "core spec lacks " #name); return -1; }
    GET(n_labels) GET(radius) GET(isolate) GET(transitions) GET(allowed) GET(start_label) GET(end_label)
    GET(fold_bmp) GET(fold_hi_keys) GET(fold_hi_values) GET(class_bmp) GET(class_hi_starts) GET(class_hi_values)
    GET(isolating) GET(bases) GET(templates) GET(lexicons) GET(variety)
#undef GET
    Py_ssize_t n;
    self->n_labels = (int)PyLong_AsLong(n_labels);
    self->radius = (int)PyLong_AsLong(radius);
    self->isolate = PyObject_IsTrue(isolate);
    if (self->n_labels < 1 || self->n_labels > MAX_LABELS || self->radius < 0 || self->radius > 64) {
        PyErr_SetString(PyExc_ValueError, "core spec: label count or radius out of range");
        return -1;
    }
    int L = self->n_labels;
    self->pointer_bytes = L <= 4 ? 1 : L;
    double *trans = copy_buffer(transitions, 8, &n, "transitions");
    if (!trans) return -1;
    if (n != L * L) { free(trans); PyErr_SetString(PyExc_ValueError, "transitions: wrong size"); return -1; }
    memcpy(self->transitions, trans, sizeof(double) * L * L);
    free(trans);
    uint8_t *tmp = copy_buffer(allowed, 1, &n, "allowed");
    if (!tmp) return -1;
    if (n != 9 * L) { free(tmp); PyErr_SetString(PyExc_ValueError, "allowed: wrong size"); return -1; }
    memcpy(self->allowed, tmp, 9 * L);
    free(tmp);
    tmp = copy_buffer(start_label, 1, &n, "start_label");
    if (!tmp) return -1;
    memcpy(self->start_label, tmp, n < L ? n : L);
    free(tmp);
    tmp = copy_buffer(end_label, 1, &n, "end_label");
    if (!tmp) return -1;
    memcpy(self->end_label, tmp, n < L ? n : L);
    free(tmp);
    if (!(self->fold_bmp = copy_buffer(fold_bmp, 4, &n, "fold_bmp"))) return -1;
    if (n != 0x10000) { PyErr_SetString(PyExc_ValueError, "fold_bmp: wrong size"); return -1; }
    if (!(self->fold_hi_keys = copy_buffer(fold_hi_keys, 8, &self->n_fold_hi, "fold_hi_keys"))) return -1;
    if (!(self->fold_hi_values = copy_buffer(fold_hi_values, 8, &n, "fold_hi_values"))) return -1;
    if (n != self->n_fold_hi) { PyErr_SetString(PyExc_ValueError, "fold_hi: lengths differ"); return -1; }
    if (!(self->class_bmp = copy_buffer(class_bmp, 1, &n, "class_bmp"))) return -1;
    if (n != 0x10000) { PyErr_SetString(PyExc_ValueError, "class_bmp: wrong size"); return -1; }
    if (!(self->class_hi_starts = copy_buffer(class_hi_starts, 8, &self->n_class_hi, "class_hi_starts"))) return -1;
    if (!(self->class_hi_values = copy_buffer(class_hi_values, 1, &n, "class_hi_values"))) return -1;
    if (n != self->n_class_hi || n < 1) { PyErr_SetString(PyExc_ValueError, "class_hi: lengths differ"); return -1; }
    if (!(self->isolating = copy_buffer(isolating, 1, &n, "isolating"))) return -1;
    if (n != (CODE_SPACE + 7) / 8) { PyErr_SetString(PyExc_ValueError, "isolating: wrong size"); return -1; }

    /* lexicons: a list of (max_length, [(length, keys, flags[, pairs for length 2]), ...]) */
    PyObject *lex = PySequence_Fast(lexicons, "lexicons: a sequence");
    if (!lex) return -1;
    self->n_lexicons = (int)PySequence_Fast_GET_SIZE(lex);
    if (self->n_lexicons > MAX_LEXICONS) { Py_DECREF(lex); PyErr_SetString(PyExc_ValueError, "too many lexicons"); return -1; }
    /* grown as pieces come (a piece shared by lexicons is one slot: about a quarter of them here),
     * so the table ends the smallest that holds them, and at most one and a half times that is
     * ever held; the lexicons' arrays are read once */
    if (hash_alloc(&self->piece_build, 1 << 12) < 0 || !(self->pairs = calloc(MAX_LEXICONS, sizeof(PairList)))) {
        Py_DECREF(lex);
        PyErr_NoMemory();
        return -1;
    }
    for (int l = 0; l < self->n_lexicons; l++) {
        PyObject *item = PySequence_Fast(ITEM(lex, l), "a lexicon: a sequence");
        if (!item) { Py_DECREF(lex); return -1; }
        int max_length = (int)PyLong_AsLong(ITEM(item, 0));
        if (max_length < 2 || max_length > MAX_LENGTH) {
            Py_DECREF(item); Py_DECREF(lex);
            PyErr_SetString(PyExc_ValueError, "lexicon length out of range");
            return -1;
        }
        self->lexicon_length[l] = max_length;
        if (max_length > self->longest_word) self->longest_word = max_length;
        /* the tables, or a function making them: then one lexicon's arrays at a time */
        PyObject *made = call_or_take(ITEM(item, 1));
        PyObject *lengths = made ? PySequence_Fast(made, "lexicon tables: a sequence") : NULL;
        Py_XDECREF(made);
        if (!lengths) { Py_DECREF(item); Py_DECREF(lex); return -1; }
        self->pairs[l].given = 1; /* until a length-2 table comes without them */
        for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(lengths); k++) {
            PyObject *entry = ITEM(lengths, k);
            long len = PyLong_AsLong(PyTuple_GetItem(entry, 0));
            Py_buffer kb, fb;
            int got_keys = 0, got_flags = 0, oom = 0;
            if (len >= 2 && len <= max_length)
                got_keys = PyObject_GetBuffer(PyTuple_GetItem(entry, 1), &kb, PyBUF_C_CONTIGUOUS) == 0;
            if (got_keys) got_flags = PyObject_GetBuffer(PyTuple_GetItem(entry, 2), &fb, PyBUF_C_CONTIGUOUS) == 0;
            int fine = got_flags && kb.len % 8 == 0 && kb.len / 8 == fb.len;
            const int64_t *keys = fine ? kb.buf : NULL;
            const uint8_t *flags = fine ? fb.buf : NULL;
            if (fine && len == 2 && PyTuple_GET_SIZE(entry) >= 4) /* to the pair base's records (pair_pieces) */
                fine = take_pairs(&self->pairs[l], entry, keys, flags, kb.len / 8, &oom);
            else {
                if (len == 2) self->pairs[l].given = 0;
                for (Py_ssize_t i = 0; fine && !oom && i < kb.len / 8; i++)
                    if (keys[i] >= 0) oom = pieces_add(self, keys[i], (uint32_t)(flags[i] & 3) << (2 * l)) < 0; /* <0: never a hash */
            }
            if (got_keys) PyBuffer_Release(&kb);
            if (got_flags) PyBuffer_Release(&fb);
            if (!fine || oom) {
                Py_DECREF(lengths); Py_DECREF(item); Py_DECREF(lex);
                if (oom) PyErr_NoMemory();
                else if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "a lexicon table is inconsistent");
                return -1;
            }
        }
        Py_DECREF(lengths);
        Py_DECREF(item);
    }
    Py_DECREF(lex);

    /* variety: None or (max_length, [(length, keys, packed buckets), ...]) */
    if (variety != Py_None) {
        self->has_variety = 1;
        self->variety.max_length = (int)PyLong_AsLong(PyTuple_GetItem(variety, 0));
        if (self->variety.max_length < 2 || self->variety.max_length > MAX_LENGTH) {
            PyErr_SetString(PyExc_ValueError, "variety length out of range");
            return -1;
        }
        PyObject *tables = PySequence_Fast(PyTuple_GetItem(variety, 1), "variety tables: a sequence");
        if (!tables) return -1;
        for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(tables); k++) {
            PyObject *entry = ITEM(tables, k);
            long len = PyLong_AsLong(PyTuple_GetItem(entry, 0));
            if (len < 2 || len > self->variety.max_length) {
                Py_DECREF(tables);
                PyErr_SetString(PyExc_ValueError, "variety table length out of range");
                return -1;
            }
            if (build_hash_from(&self->variety.index[len], PyTuple_GetItem(entry, 1), PyTuple_GetItem(entry, 2), "variety") < 0) {
                Py_DECREF(tables);
                return -1;
            }
            self->variety.has[len] = 1;
        }
        Py_DECREF(tables);
    }

    /* bases: a list of (kind, param, part, domain, members, slots); members: (keys, weights) pairs,
     * the sorted int64 keys and float64 (keys + 1, n_labels) weights of the templates reading the
     * base, each an array or a function making it (all keys are read first, then one member's
     * weights at a time: the largest base's weights are never all in memory); slots: which of
     * the base's template slots each member's rows add to (members sharing a slot, a shared
     * template and its standard's copy, are summed in member order into one row). Each key any
     * member has gets a record: the slots with a row for it (a bit mask) and where those rows
     * start in the packed weights, in slot order. A key no member has: no rows. */
    PyObject *bs = PySequence_Fast(bases, "bases: a sequence");
    if (!bs) return -1;
    self->n_bases = (int)PySequence_Fast_GET_SIZE(bs);
    self->bases = calloc(self->n_bases ? self->n_bases : 1, sizeof(Base));
    if (!self->bases) { Py_DECREF(bs); PyErr_NoMemory(); return -1; }
    Py_ssize_t cap_rows = 1024;
    self->weights = malloc(sizeof(double) * L * cap_rows);
    if (!self->weights) { Py_DECREF(bs); PyErr_NoMemory(); return -1; }
    memset(self->weights, 0, sizeof(double) * L); /* row 0: zeros, what a template reads where its key has no row */
    Py_ssize_t n_rows = 1;
    int failed = 0;
    for (int b = 0; b < self->n_bases && !failed; b++) {
        Base *base = &self->bases[b];
        PyObject *t = ITEM(bs, b);
        base->kind = (int)PyLong_AsLong(PyTuple_GetItem(t, 0));
        base->param = (int)PyLong_AsLong(PyTuple_GetItem(t, 1));
        base->part = (int)PyLong_AsLong(PyTuple_GetItem(t, 2));
        base->domain = PyLong_AsLongLong(PyTuple_GetItem(t, 3));
        if (PyErr_Occurred()) { failed = 1; break; }
        if (!base_in_range(self, base)) {
            PyErr_SetString(PyExc_ValueError, "core spec: a base out of range");
            failed = 1;
            break;
        }
        /* the members, or a function making them: then each base's keys live only while it is laid out */
        PyObject *given = PyTuple_GetItem(t, 4);
        PyObject *members = given ? call_or_take(given) : NULL;
        if (!members || !PyList_Check(members) || PyList_GET_SIZE(members) > 32) {
            Py_XDECREF(members);
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "core spec: a base's members: a list of at most 32");
            failed = 1;
            break;
        }
        int k = (int)PyList_GET_SIZE(members);
        Py_buffer kv[32];
        Py_ssize_t len[32], at[32], base_keys = 0;
        int got = 0, slot_of[32];
        PyObject *slots = PySequence_Fast(PyTuple_GetItem(t, 5), "a base's slots: a sequence");
        if (!slots || PySequence_Fast_GET_SIZE(slots) != k) {
            Py_XDECREF(slots);
            Py_DECREF(members);
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "core spec: a base's slots do not match its members");
            failed = 1;
            break;
        }
        for (int m = 0; m < k && !failed; m++) {
            slot_of[m] = (int)PyLong_AsLong(ITEM(slots, m));
            if (slot_of[m] < 0 || slot_of[m] > 31) {
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "core spec: a slot out of range");
                failed = 1;
            }
        }
        Py_DECREF(slots);
        for (int m = 0; m < k && !failed; m++) { /* every member's keys */
            PyObject *pair = PyList_GET_ITEM(members, m);
            if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
                PyErr_SetString(PyExc_ValueError, "core spec: a member is a (keys, weights) pair");
                failed = 1;
                break;
            }
            PyObject *keys_obj = call_or_take(PyTuple_GET_ITEM(pair, 0));
            if (!keys_obj) { failed = 1; break; }
            int ok = PyObject_GetBuffer(keys_obj, &kv[m], PyBUF_C_CONTIGUOUS) == 0;
            Py_DECREF(keys_obj); /* the buffer holds the array */
            if (!ok) { failed = 1; break; }
            got++;
            len[m] = kv[m].len / 8;
            base_keys += len[m];
            at[m] = 0;
            const int64_t *keys = kv[m].buf;
            int bad = kv[m].len % 8;
            for (Py_ssize_t i = 0; i < len[m] && !bad; i++)
                bad = keys[i] < 0 || (i && keys[i] <= keys[i - 1]) || (base->domain > 0 && keys[i] >= base->domain);
            if (bad) { PyErr_SetString(PyExc_ValueError, "core spec: a template's keys are unsorted, out of range "
                                       "or do not match its weights"); failed = 1; }
        }
        int64_t *union_keys = NULL;
        Record *union_recs = NULL;
        const Py_ssize_t base_first_row = n_rows;
        if (!failed) { /* room for this base's records and rows */
            /* grown by what this base needs, not doubled: the largest arrays are not held twice */
            if (n_rows + base_keys + 1 > cap_rows) cap_rows = n_rows + base_keys + 1;
            double *ww = realloc(self->weights, sizeof(double) * L * cap_rows);
            if (ww) self->weights = ww;
            union_keys = malloc(sizeof(int64_t) * (base_keys + 1));
            union_recs = malloc(sizeof(Record) * (base_keys + 1));
            if (!ww || !union_keys || !union_recs) { PyErr_NoMemory(); failed = 1; }
            if (n_rows + base_keys >= (Py_ssize_t)UINT32_MAX) { PyErr_SetString(PyExc_ValueError, "too many weights"); failed = 1; }
        }
        Py_ssize_t n_union = 0;
        while (!failed) { /* merge the members' sorted keys: each distinct key one record, its rows 0.0 */
            int64_t key = INT64_MAX;
            for (int m = 0; m < k; m++)
                if (at[m] < len[m] && ((const int64_t *)kv[m].buf)[at[m]] < key) key = ((const int64_t *)kv[m].buf)[at[m]];
            if (key == INT64_MAX) break;
            uint32_t mask = 0;
            for (int m = 0; m < k; m++)
                if (at[m] < len[m] && ((const int64_t *)kv[m].buf)[at[m]] == key) { mask |= 1u << slot_of[m]; at[m]++; }
            union_keys[n_union] = key;
            union_recs[n_union] = RECORD(n_rows, mask);
            n_union++;
            n_rows += __builtin_popcount(mask);
        }
        if (!failed) memset(self->weights + base_first_row * L, 0, sizeof(double) * L * (n_rows - base_first_row));
        /* then each member's weights, read one member at a time: its rows added to its slot's, in
         * member order (0.0 plus each, as numpy's sum) */
        for (int m = 0; m < k && !failed; m++) {
            PyObject *weights_obj = call_or_take(PyTuple_GET_ITEM(PyList_GET_ITEM(members, m), 1));
            Py_buffer wv;
            if (!weights_obj) { failed = 1; break; }
            int ok = PyObject_GetBuffer(weights_obj, &wv, PyBUF_C_CONTIGUOUS) == 0;
            Py_DECREF(weights_obj);
            if (!ok) { failed = 1; break; }
            if (wv.len != (Py_ssize_t)sizeof(double) * L * (len[m] + 1)) {
                PyErr_SetString(PyExc_ValueError, "core spec: a template's keys are unsorted, out of range "
                                "or do not match its weights");
                failed = 1;
            }
            const int64_t *keys = kv[m].buf;
            const uint32_t below = (1u << slot_of[m]) - 1;
            Py_ssize_t u = 0;
            for (Py_ssize_t i = 0; i < len[m] && !failed; i++) {
                while (union_keys[u] != keys[i]) u++; /* both sorted; every member key is in the union */
                Record rec = union_recs[u];
                double *row = self->weights + (size_t)(RECORD_ROW(rec) + __builtin_popcount(RECORD_MASK(rec) & below)) * L;
                const double *add = (const double *)wv.buf + i * L;
                for (int q = 0; q < L; q++) row[q] += add[q];
            }
            PyBuffer_Release(&wv);
        }
        for (int m = 0; m < got; m++) PyBuffer_Release(&kv[m]);
        Py_DECREF(members);
        if (failed) { free(union_keys); free(union_recs); break; }
        base->n_slots = 1;
        base->row_bits = 0xFFFFFFFFu;
        for (int m = 0; m < k; m++) if (slot_of[m] >= base->n_slots) base->n_slots = slot_of[m] + 1;
        if (base->domain > 0) { /* the rows just packed move to the base's own table, every slot filled */
            const Py_ssize_t stride = (Py_ssize_t)base->n_slots * L;
            base->table = calloc((base->domain + 1) * stride, sizeof(double)); /* +0.0: adds nothing */
            if (base->table) {
                for (Py_ssize_t i = 0; i < n_union; i++) {
                    uint32_t mask = RECORD_MASK(union_recs[i]);
                    const double *rows = self->weights + (size_t)RECORD_ROW(union_recs[i]) * L;
                    for (int s = 0; s < base->n_slots; s++)
                        if (mask & (1u << s))
                            memcpy(base->table + union_keys[i] * stride + s * L,
                                   rows + __builtin_popcount(mask & ((1u << s) - 1)) * L, sizeof(double) * L);
                }
                n_rows = base_first_row; /* the packed rows are not kept */
            }
            failed = base->table == NULL;
        } else {
            failed = record_hash_build(&base->hash, union_keys, union_recs, n_union) < 0;
        }
        free(union_keys);
        free(union_recs);
        if (failed) { PyErr_NoMemory(); break; }
    }
    Py_DECREF(bs);
    if (failed) return -1;
    { /* give back what the doubling reserved, the rows moved to a table's memory */
        double *ww = table_alloc(sizeof(double) * L * (n_rows + 1));
        if (ww) {
            memcpy(ww, self->weights, sizeof(double) * L * n_rows);
            free(self->weights);
            self->weights = ww;
        } else if ((ww = realloc(self->weights, sizeof(double) * L * (n_rows + 1)))) {
            self->weights = ww;
        }
    }
    self->n_rows = n_rows;

    /* templates: a list of (base, offset, slot) */
    PyObject *ts = PySequence_Fast(templates, "templates: a sequence");
    if (!ts) return -1;
    self->n_templates = (int)PySequence_Fast_GET_SIZE(ts);
    self->templates = calloc(self->n_templates ? self->n_templates : 1, sizeof(Template));
    if (!self->templates) { Py_DECREF(ts); PyErr_NoMemory(); return -1; }
    for (int j = 0; j < self->n_templates; j++) {
        PyObject *t = ITEM(ts, j);
        Template *tp = &self->templates[j];
        tp->base = (int)PyLong_AsLong(PyTuple_GetItem(t, 0));
        tp->offset = (int)PyLong_AsLong(PyTuple_GetItem(t, 1));
        long slot = PyLong_AsLong(PyTuple_GetItem(t, 2));
        tp->slot = slot < 0 || slot > 31 ? -1 : (int)slot; /* out of range before it is narrowed */
        if (PyErr_Occurred() || !template_in_range(self, tp)) {
            Py_DECREF(ts);
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "core spec: a template out of range");
            return -1;
        }
        if (self->bases[tp->base].domain > 0 && slot >= self->bases[tp->base].n_slots) {
            Py_DECREF(ts);
            PyErr_SetString(PyExc_ValueError, "core spec: a template's slot is not its base's");
            return -1;
        }
    }
    Py_DECREF(ts);
    if (pair_pieces(self) < 0) { PyErr_NoMemory(); return -1; }
#ifdef __GLIBC__
    malloc_trim(0); /* the arrays read while laying out, and the pieces handed in, were freed: hand their pages back */
#endif
    return 0;
}

static int grow(void **array, Py_ssize_t items, size_t itemsize) { /* keeps what it holds */
    void *bigger = realloc(*array, items * itemsize);
    if (!bigger) return -1;
    *array = bigger;
    return 0;
}

/* -- the rules (model/constraints.py's RULES), the regular expression's matches found by hand -------
 * RULES is the reference: tests/test_constraints.py checks these spans equal its matches. At each
 * position, in the expression's order: url, e-mail, number, Latin word; the first that matches
 * wins, and the scan goes on after it. Each part below is what the expression's backtracking
 * comes to (its comment shows the part). */
typedef struct {
    int kind;
    const void *data;
    Py_ssize_t n;
} Text;

static inline Py_UCS4 text_at(const Text *t, Py_ssize_t i) { return i < t->n ? PyUnicode_READ(t->kind, t->data, i) : 0; }
static inline int in_range(Py_UCS4 c, Py_UCS4 lo, Py_UCS4 hi) { return c >= lo && c <= hi; }
static inline int is_ascii_alpha(Py_UCS4 c) { return in_range(c, 'A', 'Z') || in_range(c, 'a', 'z'); }
static inline int is_ascii_alnum(Py_UCS4 c) { return is_ascii_alpha(c) || in_range(c, '0', '9'); }
static inline int is_rule_digit(Py_UCS4 c) { return in_range(c, '0', '9') || in_range(c, 0xFF10, 0xFF19); }
static inline int is_wide_alpha(Py_UCS4 c) { return in_range(c, 0xFF21, 0xFF3A) || in_range(c, 0xFF41, 0xFF5A); }
static inline int rule_may_start(Py_UCS4 c) { /* (?=[0-9０-９A-Za-zＡ-Ｚａ-ｚ\u00C0-\u024F]) */
    if (in_range(c, 0x250, 0xFF0F)) return 0; /* between the ranges: most characters (Chinese text's), told in one comparison */
    return is_ascii_alnum(c) || is_rule_digit(c) || is_wide_alpha(c) || in_range(c, 0xC0, 0x24F);
}
static inline int is_url_char(Py_UCS4 c) { /* [A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%] */
    return is_ascii_alnum(c) || (c < 0x80 && c && strchr("-._~:/?#[]@!$&'()*+,;=%", (int)c));
}
static inline int is_url_end(Py_UCS4 c) { return is_ascii_alnum(c) || c == '/' || c == '#' || c == '=' || c == '_' || c == '-'; }
static inline int is_mail_local(Py_UCS4 c) { return is_ascii_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'; }
static inline int is_mail_domain(Py_UCS4 c) { return is_ascii_alnum(c) || c == '-'; }
static inline int is_latin(Py_UCS4 c) { /* [A-Za-zＡ-Ｚａ-ｚ\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F] */
    return is_ascii_alpha(c) || is_wide_alpha(c) || (in_range(c, 0xC0, 0x24F) && c != 0xD7 && c != 0xF7);
}

static int starts_with(const Text *t, Py_ssize_t p, const char *ascii) {
    for (Py_ssize_t k = 0; ascii[k]; k++) if (text_at(t, p + k) != (Py_UCS4)(unsigned char)ascii[k]) return 0;
    return 1;
}

static Py_ssize_t run_of(const Text *t, Py_ssize_t p, int (*in)(Py_UCS4)) {
    while (p < t->n && in(text_at(t, p))) p++;
    return p;
}

/* (?:https?://|ftp://|www\.)[url chars]*[url end]: the longest run of url characters after the
 * opening, cut back to its last url end character; -1 when there is none */
static Py_ssize_t match_url(const Text *t, Py_ssize_t p) {
    Py_ssize_t q = starts_with(t, p, "https://") ? p + 8 : starts_with(t, p, "http://") ? p + 7 :
                   starts_with(t, p, "ftp://") ? p + 6 : starts_with(t, p, "www.") ? p + 4 : -1;
    if (q < 0) return -1;
    Py_ssize_t end = run_of(t, q, is_url_char);
    while (end > q && !is_url_end(text_at(t, end - 1))) end--;
    return end > q ? end : -1;
}

/* [local]+@[domain]+(?:\.[domain]+)*\.[A-Za-z]{2,}: the local part is all local characters up to
 * the @; then the domain's labels, and the match ends in the last label but one that is followed
 * by a dot and two letters or more (the letters taken, greedily) */
static Py_ssize_t match_mail(const Text *t, Py_ssize_t p) {
    Py_ssize_t at = run_of(t, p, is_mail_local);
    if (at == p || text_at(t, at) != '@') return -1;
    Py_ssize_t end = run_of(t, at + 1, is_mail_domain);
    if (end == at + 1) return -1;
    Py_ssize_t found = -1;
    /* label after label: a dot, then letters (a candidate end), then the rest of the label */
    while (text_at(t, end) == '.' && is_mail_domain(text_at(t, end + 1))) {
        Py_ssize_t letters = run_of(t, end + 1, is_ascii_alpha);
        if (letters - (end + 1) >= 2) found = letters; /* the expression keeps the last such */
        end = run_of(t, end + 1, is_mail_domain);
    }
    return found;
}

/* \d{1,3}(?:[,，]\d{3})+(?:[.．]\d+)?[%％]?|\d+(?:[.．]\d+)?[%％]? over ASCII and full-width digits */
static Py_ssize_t match_number(const Text *t, Py_ssize_t p) {
    Py_ssize_t d = run_of(t, p, is_rule_digit);
    if (d == p) return -1;
    Py_ssize_t e = d;
    if (d - p <= 3) { /* thousands: groups of a separator and exactly three digits */
        Py_ssize_t g = d;
        while ((text_at(t, g) == ',' || text_at(t, g) == 0xFF0C) && is_rule_digit(text_at(t, g + 1)) &&
               is_rule_digit(text_at(t, g + 2)) && is_rule_digit(text_at(t, g + 3)))
            g += 4;
        e = g;
    }
    Py_UCS4 dot = text_at(t, e);
    if ((dot == '.' || dot == 0xFF0E) && is_rule_digit(text_at(t, e + 1))) e = run_of(t, e + 1, is_rule_digit);
    Py_UCS4 pct = text_at(t, e);
    if (pct == '%' || pct == 0xFF05) e++;
    return e;
}

/* where the rules' match at p ends, or -1 */
static Py_ssize_t match_rules(const Text *t, Py_ssize_t p) {
    Py_UCS4 c = text_at(t, p);
    if (!rule_may_start(c)) return -1;
    Py_ssize_t e;
    if (c == 'h' || c == 'f' || c == 'w') { if ((e = match_url(t, p)) > 0) return e; }
    if (is_mail_local(c) && (e = match_mail(t, p)) > 0) return e;
    if ((e = match_number(t, p)) > 0) return e;
    e = run_of(t, p, is_latin);
    return e > p ? e : -1;
}

/* the first position from p where a match may start: the kind read outside the loop */
#define SKIP_TO_RULE(type) do { const type *d = t->data; while (p < t->n && !rule_may_start(d[p])) p++; } while (0)
static Py_ssize_t next_rule_start(const Text *t, Py_ssize_t p) {
    switch (t->kind) {
    case PyUnicode_1BYTE_KIND: SKIP_TO_RULE(Py_UCS1); break;
    case PyUnicode_2BYTE_KIND: SKIP_TO_RULE(Py_UCS2); break;
    default: SKIP_TO_RULE(Py_UCS4); break;
    }
    return p;
}
#undef SKIP_TO_RULE

/* a growing list of (start, end) pairs */
typedef struct {
    int64_t *pairs;
    Py_ssize_t n, cap; /* pairs held, room for */
} Spans;

/* The rules' matches of two or more characters in t, in order, appended to out as (base + start,
 * base + end): the scan model/constraints.py's RULES makes. 0, or -1 (out of memory) */
static int find_rules(const Text *t, int64_t base, Spans *out) {
    for (Py_ssize_t p = next_rule_start(t, 0); p < t->n; p = next_rule_start(t, p)) {
        Py_ssize_t e = match_rules(t, p);
        if (e < 0) { p++; continue; }
        if (e - p > 1) {
            if (out->n == out->cap && grow((void **)&out->pairs, out->cap = out->cap ? 2 * out->cap : 64, 2 * sizeof(int64_t)) < 0)
                return -1;
            out->pairs[2 * out->n] = base + p;
            out->pairs[2 * out->n + 1] = base + e;
            out->n++;
        }
        p = e;
    }
    return 0;
}

/* -- per character ------------------------------------------------------------------------------ */
static inline uint32_t fold(const Core *c, uint32_t cp) {
    if (cp < 0x10000) return c->fold_bmp[cp];
    Py_ssize_t lo = 0, hi = c->n_fold_hi;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (c->fold_hi_keys[mid] < cp) lo = mid + 1; else hi = mid;
    }
    return (lo < c->n_fold_hi && c->fold_hi_keys[lo] == cp) ? (uint32_t)c->fold_hi_values[lo] : cp;
}

static inline uint8_t char_class(const Core *c, uint32_t folded) {
    if (folded < 0x10000) return c->class_bmp[folded];
    Py_ssize_t lo = 0, hi = c->n_class_hi; /* the last run starting at or before folded */
    while (hi - lo > 1) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (c->class_hi_starts[mid] <= folded) lo = mid; else hi = mid;
    }
    return c->class_hi_values[lo];
}

/* str.isspace: no code point above U+3000 is whitespace, so Chinese text never calls Python's
 * table lookup (a function call per character) */
static inline int is_space(Py_UCS4 cp) { return cp <= 0x3000 && Py_UNICODE_ISSPACE(cp); }

static inline int is_isolating(const Core *c, uint32_t cp) {
    return cp < CODE_SPACE && (c->isolating[cp >> 3] >> (7 - (cp & 7))) & 1;
}

/* -- the sequences being decoded ---------------------------------------------------------------- */
/* Short lines are decoded together, a pack of them at a time: their characters side by side in
 * the arrays below, every stage (keys, records, weight rows) one loop over the whole pack, so the
 * loads of many lines are in flight at once (a line of 40 characters alone keeps few); Viterbi
 * runs per line. A line longer than BLOCK is decoded alone, block by block. A view of one
 * sequence is a copy of the Work with its arrays moved to the sequence's first character. */
typedef struct {
    Py_ssize_t n;        /* a view: the sequence's characters */
    uint32_t *codes;     /* folded code points */
    uint8_t *classes;
    int8_t *start;       /* FREE / MUST / NEVER per character */
    int32_t *positions;  /* per character, where it stands in its line */
    uint8_t *labels;
    Py_ssize_t capacity; /* characters the arrays above hold */
    uint8_t *pointers;   /* one sequence's backpointers: n x pointer_bytes */
    Py_ssize_t pointers_capacity;
    Record *recs;        /* n_bases x (BLOCK + 2 radius): keys, then records, of a block or a pack */
    int32_t *lex_values; /* one sequence's: n_lexicons x 3 x window */
    int32_t *av_values;  /* one sequence's: (max_length + 1) x 2 x window */
    Spans rules;         /* one line's rule matches, where the core finds them */
    double *emissions;   /* BLOCK x n_labels */
} Work;

typedef struct {
    Py_ssize_t at, n;    /* a sequence of a pack: its first character in the Work's arrays, its length */
    Py_ssize_t line;
} Seq;

static void work_free(Work *w) {
    free(w->codes); free(w->classes); free(w->start); free(w->positions); free(w->labels); free(w->pointers);
    free(w->recs); free(w->lex_values); free(w->av_values); free(w->emissions); free(w->rules.pairs);
    memset(w, 0, sizeof(Work));
}

/* room for n characters (what is held is kept) and the scratch of a block: 0, or -1 */
static int work_reserve(Work *w, const Core *c, Py_ssize_t n) {
    if (!w->recs) {
        Py_ssize_t window = BLOCK + 2 * c->radius;
        int av_rows = c->has_variety ? (c->variety.max_length + 1) * 2 : 1;
        w->recs = malloc(sizeof(Record) * (c->n_bases ? c->n_bases : 1) * window);
        w->lex_values = malloc(sizeof(int32_t) * 3 * (c->n_lexicons ? c->n_lexicons : 1) * window);
        w->av_values = malloc(sizeof(int32_t) * av_rows * window);
        w->emissions = malloc(sizeof(double) * BLOCK * c->n_labels);
        if (!w->recs || !w->lex_values || !w->av_values || !w->emissions) return -1;
    }
    if (n <= w->capacity) return 0;
    Py_ssize_t cap = n < BLOCK ? BLOCK : n + n / 4;
    if (grow((void **)&w->codes, cap, sizeof(uint32_t)) < 0 || grow((void **)&w->classes, cap, 1) < 0 ||
        grow((void **)&w->start, cap, 1) < 0 || grow((void **)&w->positions, cap, sizeof(int32_t)) < 0 ||
        grow((void **)&w->labels, cap, 1) < 0) return -1;
    w->capacity = cap;
    return 0;
}

static int pointers_reserve(Work *w, const Core *c, Py_ssize_t n) {
    if (n <= w->pointers_capacity) return 0;
    Py_ssize_t cap = n < BLOCK ? BLOCK : n + n / 4;
    free(w->pointers);
    if (!(w->pointers = malloc((size_t)cap * c->pointer_bytes))) { w->pointers_capacity = 0; return -1; }
    w->pointers_capacity = cap;
    return 0;
}

static inline Work view_of(const Work *w, Py_ssize_t at, Py_ssize_t n) {
    Work v = *w;
    v.n = n;
    v.codes += at; v.classes += at; v.start += at; v.positions += at; v.labels += at;
    return v;
}

static inline uint32_t code_at(const Work *w, Py_ssize_t q) {
    return q < 0 ? BOS : (q >= w->n ? EOS : w->codes[q]);
}

static inline uint8_t class_at(const Work *w, Py_ssize_t q) {
    return (q < 0 || q >= w->n) ? 0 : w->classes[q];
}

/* The flags of the 2-character piece at position i of w: where the pair base's records hold them
 * (pair_pieces), from its record, which the window's pair records (pairs, positions lo..hi-1)
 * have at hand; else from the pieces' table */
static inline uint32_t pair_flags(const Core *c, const Work *w, const Record *pairs, Py_ssize_t lo, Py_ssize_t hi,
                                  Py_ssize_t i, uint64_t prefix) {
    if (c->pair_base < 0) return piece_flags(&c->pieces, piece_key(prefix, 2));
    if (i >= lo && i < hi) return RECORD_MASK(pairs[i - lo]) >> c->pair_shift;
    return RECORD_MASK(record_hash_get(&c->bases[c->pair_base].hash, pair_code(w->codes[i], w->codes[i + 1]), 0))
           >> c->pair_shift;
}

/* The pieces' table and its filter are large: what a later position a's lookups of lengths up to
 * max_len will read is asked for now, in two steps: the filter's words (slots 0), then, once they
 * are in cache, the table's lines where the filter passes (slots 1). Nothing where a's pair has
 * no longer piece (pairs, as for pair_flags) */
static inline void ask_ahead(const Core *c, const Work *w, const Record *pairs, Py_ssize_t lo, Py_ssize_t hi,
                             Py_ssize_t a, int max_len, int slots) {
    if (a + max_len > w->n) return;
    uint64_t ahead = (FNV_SEED ^ (uint64_t)w->codes[a]) * FNV_PRIME;
    int len = 2;
    if (pairs && a >= lo && a < hi) { /* its pair's flags are at hand */
        if (!(RECORD_MASK(pairs[a - lo]) >> c->pair_shift & PREFIX_BITS)) return;
        ahead = (ahead ^ (uint64_t)w->codes[a + 1]) * FNV_PRIME;
        len = 3;
    }
    for (; len <= max_len; len++) {
        ahead = (ahead ^ (uint64_t)w->codes[a + len - 1]) * FNV_PRIME;
        const int64_t key = piece_key(ahead, len);
        if (!slots) {
            __builtin_prefetch(&c->pieces.filter[piece_filter_bit(&c->pieces, key) >> 6]);
        } else if (piece_maybe(&c->pieces, key)) {
            const uint64_t *home = &c->pieces.slots[piece_home(&c->pieces, key)];
            __builtin_prefetch(home);
            __builtin_prefetch(home + 7); /* a probe reads on, often into the next line */
        }
    }
}

/* begin / end / middle word lengths of every lexicon for positions lo..hi-1: lexicon l's in
 * out[3 l width ...]: begin, then end, then middle. pairs: the window's records of the pair base
 * (c->pair_base), or NULL */
static void match_lexicons(const Core *c, const Work *w, Py_ssize_t lo, Py_ssize_t hi, const Record *pairs,
                           int32_t *out, Py_ssize_t stride) {
    Py_ssize_t width = hi - lo;
    for (int l = 0; l < c->n_lexicons; l++) memset(out + l * stride, 0, sizeof(int32_t) * 3 * width);
    if (!c->n_lexicons) return;
    Py_ssize_t first = lo - c->longest_word + 1;
    if (first < 0) first = 0;
    Py_ssize_t last = hi < w->n ? hi : w->n;
    for (Py_ssize_t i = first; i < last; i++) {
        ask_ahead(c, w, pairs, lo, hi, i + FILTER_AHEAD, PREFETCH_LENGTHS + 1, 0);
        ask_ahead(c, w, pairs, lo, hi, i + PREFETCH, PREFETCH_LENGTHS, 1);
        uint64_t prefix = (FNV_SEED ^ (uint64_t)w->codes[i]) * FNV_PRIME;
        for (int len = 2; len <= c->longest_word && i + len <= w->n; len++) {
            prefix = (prefix ^ (uint64_t)w->codes[i + len - 1]) * FNV_PRIME;
            uint32_t flags = len == 2 ? pair_flags(c, w, pairs, lo, hi, i, prefix)
                                      : piece_flags(&c->pieces, piece_key(prefix, len));
            for (uint32_t words = flags & ~PREFIX_BITS; words; words &= words - 1) {
                int l = __builtin_ctz(words) / 2;
                int32_t *begin = out + l * stride, *end = begin + width, *middle = end + width;
                if (i >= lo && i < hi) begin[i - lo] = len; /* lengths grow: the longest stays */
                Py_ssize_t e = i + len - 1;
                if (e >= lo && e < hi && end[e - lo] < len) end[e - lo] = len;
                Py_ssize_t m0 = i + 1 > lo ? i + 1 : lo, m1 = e < hi ? e : hi;
                for (Py_ssize_t m = m0; m < m1; m++) if (middle[m - lo] < len) middle[m - lo] = len;
            }
            if (!(flags & PREFIX_BITS)) break;
        }
    }
}

/* accessor variety buckets of positions lo..hi-1: out[(2 length + side) * width + q - lo] */
static void match_variety(const Variety *v, const Work *w, Py_ssize_t lo, Py_ssize_t hi, int32_t *out) {
    Py_ssize_t width = hi - lo;
    memset(out, 0, sizeof(int32_t) * 2 * (v->max_length + 1) * width);
    Py_ssize_t first = lo - v->max_length + 1;
    if (first < 0) first = 0;
    Py_ssize_t last = hi < w->n ? hi : w->n;
    for (Py_ssize_t i = first; i < last; i++) {
        uint64_t prefix = (FNV_SEED ^ (uint64_t)w->codes[i]) * FNV_PRIME;
        for (int len = 2; len <= v->max_length && i + len <= w->n; len++) {
            prefix = (prefix ^ (uint64_t)w->codes[i + len - 1]) * FNV_PRIME;
            if (!v->has[len]) continue;
            int32_t packed = hash_get(&v->index[len], piece_key(prefix, len), -1);
            if (packed < 0) continue;
            if (i >= lo && i < hi) out[(2 * len) * width + i - lo] = packed & 0xff;
            Py_ssize_t e = i + len - 1;
            if (e >= lo && e < hi) out[(2 * len + 1) * width + e - lo] = (packed >> 8) & 0xff;
        }
    }
}

/* For positions lo..hi-1 of one base, each position's key into keys[q - lo]; for a small-domain
 * base, where the key's rows start in the base's table instead (key `domain` for a key out of
 * range), written as the key is made */
static inline __attribute__((always_inline)) void base_keys(const Core *c, const Work *w, const Base *base,
                                                          Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t window,
                                                          int64_t *restrict keys, const int L) {
    const Py_ssize_t n = w->n, width = hi - lo;
    const uint32_t *restrict codes = w->codes;
    const uint8_t *restrict classes = w->classes;
    const uint64_t domain = (uint64_t)base->domain;
    const int64_t stride = (int64_t)base->n_slots * L;
    const int param = base->param;
#define PUT(i, key) do { int64_t key_ = (key); \
        keys[i] = domain ? (int64_t)((uint64_t)key_ < domain ? (uint64_t)key_ : domain) * stride : key_; } while (0)
    /* positions a..b-1 read no padding: there the key is `inner`, straight code the compiler
     * vectorizes; `outer` (with the sequence's ends) elsewhere */
#define KEYS(a, b, outer, inner) do { \
        Py_ssize_t a_ = (a) < lo ? lo : ((a) > hi ? hi : (a)), b_ = (b) > hi ? hi : (b); \
        if (b_ < a_) b_ = a_; \
        Py_ssize_t q = lo; \
        for (; q < a_; q++) PUT(q - lo, outer); \
        for (; q < b_; q++) PUT(q - lo, inner); \
        for (; q < hi; q++) PUT(q - lo, outer); } while (0)
    switch (base->kind) { /* the kind outside the loops: each loop is straight code */
    case K_CHAR:
        KEYS(0, n, code_at(w, q), codes[q]);
        break;
    case K_PAIR:
        KEYS(0, n - param, pair_code(code_at(w, q), code_at(w, q + param)), pair_code(codes[q], codes[q + param]));
        break;
    case K_CLASS:
        KEYS(0, n, class_at(w, q), classes[q]);
        break;
    case K_CLASS3:
        KEYS(1, n - 1, (class_at(w, q - 1) * N_CLASSES + class_at(w, q)) * N_CLASSES + class_at(w, q + 1),
             (classes[q - 1] * N_CLASSES + classes[q]) * N_CLASSES + classes[q + 1]);
        break;
    case K_SAME:
        KEYS(param, n, (q >= 0 && q < n && q - param >= 0) ? codes[q] == codes[q - param] : 0,
             codes[q] == codes[q - param]);
        break;
    case K_LEX: {
        const int32_t *restrict lengths = w->lex_values + (Py_ssize_t)param * 3 * window + base->part * width;
        for (Py_ssize_t i = 0; i < width; i++) PUT(i, lengths[i]);
        break;
    }
    default: {
        const int32_t *restrict buckets = w->av_values + (2 * param + base->part) * width;
        for (Py_ssize_t i = 0; i < width; i++) PUT(i, buckets[i]);
        break;
    }
    }
#undef KEYS
#undef PUT
}

/* state += row, label by label; four labels at a time where the build has AVX, two where SSE2 is
 * (every x86-64): the lanes are independent, so the sums are the scalar ones */
static inline __attribute__((always_inline)) void add_row(double *restrict state, const double *restrict row, const int L) {
    int k = 0;
#ifdef __AVX__
    for (; k + 4 <= L; k += 4) _mm256_storeu_pd(state + k, _mm256_add_pd(_mm256_loadu_pd(state + k), _mm256_loadu_pd(row + k)));
#endif
#ifdef __SSE2__
    for (; k + 2 <= L; k += 2) _mm_storeu_pd(state + k, _mm_add_pd(_mm_loadu_pd(state + k), _mm_loadu_pd(row + k)));
#endif
    for (; k < L; k++) state[k] += row[k];
}

/* the bases whose keys come from lexicon matching or accessor variety */
static inline int is_lexical(const Base *base) { return base->kind == K_LEX || base->kind == K_AV; }

/* The keys of a window of one sequence (the view v), positions lo..hi-1: each base's into its
 * row of recs (stride apart); a small-domain base's as where the key's rows start in its table,
 * a large one's as the key itself, which records() turns into its record. In two rounds: first
 * the bases of characters and classes; once records() has made theirs, the lexical bases, whose
 * matching reads the pieces' flags the pair base's records carry */
static inline __attribute__((always_inline)) void window_keys(const Core *c, const Work *v, Py_ssize_t lo, Py_ssize_t hi,
                                                            Record *recs, Py_ssize_t stride, int lexical, const int L) {
    if (lexical) {
        match_lexicons(c, v, lo, hi, c->pair_base >= 0 ? recs + (Py_ssize_t)c->pair_base * stride : NULL,
                       v->lex_values, 3 * stride);
        if (c->has_variety) match_variety(&c->variety, v, lo, hi, v->av_values);
    }
    for (int bi = 0; bi < c->n_bases; bi++)
        if (is_lexical(&c->bases[bi]) == lexical)
            base_keys(c, v, &c->bases[bi], lo, hi, stride, (int64_t *)(recs + (Py_ssize_t)bi * stride), L);
}

/* Each large base's keys at 0..width-1 replaced by their records. The tables are large: the slots
 * of the first keys are asked for, then a later key's slot before this one is probed; and once a
 * key's record is read, its rows, which the templates read next */
static inline __attribute__((always_inline)) void records(const Core *c, Work *w, Py_ssize_t stride, Py_ssize_t width,
                                                        int lexical, const int L) {
    for (int bi = 0; bi < c->n_bases; bi++) {
        const Base *base = &c->bases[bi];
        if (base->domain > 0 || is_lexical(base) != lexical) continue;
        Record *recs = w->recs + (Py_ssize_t)bi * stride;
        const RecordHash *h = &base->hash;
        for (Py_ssize_t i = 0; i < PREFETCH_KEYS && i < width; i++)
            __builtin_prefetch(&h->slots[((uint64_t)recs[i] * FIB) >> (64 - h->bits)]);
        for (Py_ssize_t i = 0; i < width; i++) {
            if (i + PREFETCH_KEYS < width)
                __builtin_prefetch(&h->slots[((uint64_t)recs[i + PREFETCH_KEYS] * FIB) >> (64 - h->bits)]);
            Record rec = recs[i] = record_hash_get(h, (int64_t)recs[i], 0);
            const double *rows = c->weights + (size_t)RECORD_ROW(rec) * L;
            const int count = __builtin_popcount(RECORD_MASK(rec) & base->row_bits) * L; /* its rows may span lines */
            __builtin_prefetch(rows);
            if (count > 8) __builtin_prefetch(rows + 8);
            if (count > 1) __builtin_prefetch(rows + count - 1);
        }
    }
}

/* A template's rows as emissions() reads them: its keys or records at the window's positions, and
 * its table (a small base's, at its slot) or the packed weights */
typedef struct {
    const Record *recs;
    const double *rows;
    int shift; /* a large base's: 31 - the template's slot, which brings its bit to the top of a mask */
} Reader;

/* template r's row at window position p. A large base's: the record's mask shifted so the
 * template's bit is its top bit, the slots below it beneath (the bits above, other slots and the
 * pieces' flags, are shifted out); the count of those bits is the row's place among the key's rows,
 * plus one where the key has a row for the template. Where it has none, the top bit clears the
 * index to row 0, all zeros, instead of branching on it (the branch mispredicts): x + 0.0 is x,
 * but that -0.0 becomes +0.0, which no comparison tells apart */
static inline __attribute__((always_inline)) const double *row_at(const Reader *r, const double *weights, Py_ssize_t p,
                                                                 const int dense, const int L) {
    if (dense) return r->rows + (int64_t)r->recs[p];
    const Record rec = r->recs[p];
    const uint32_t top = RECORD_MASK(rec) << r->shift;
    const uint32_t row = (RECORD_ROW(rec) + __builtin_popcount(top) - 1) & (0u - (top >> 31));
    return weights + (size_t)row * L;
}

/* em[p] += the rows of G consecutive templates, in their order, for every position: the state held
 * in registers across them, not loaded and stored per template. first: em is not yet written (its
 * state starts at 0.0) */
static inline __attribute__((always_inline)) void add_rows(double *em, Py_ssize_t count, const Reader *r,
                                                          const int G, const int dense, const int first, const int L) {
    const Reader r0 = r[0], r1 = r[G > 1], r2 = r[G > 2 ? 2 : 0], r3 = r[G > 3 ? 3 : 0];
    const double *weights = r0.rows; /* a large base's: the packed weights, the same for every template */
    for (Py_ssize_t p = 0; p < count; p++) {
        double *state = em + p * L;
#ifdef __AVX__
        if (L == 4) {
            __m256d s = first ? _mm256_setzero_pd() : _mm256_loadu_pd(state);
            s = _mm256_add_pd(s, _mm256_loadu_pd(row_at(&r0, weights, p, dense, L)));
            if (G > 1) s = _mm256_add_pd(s, _mm256_loadu_pd(row_at(&r1, weights, p, dense, L)));
            if (G > 2) s = _mm256_add_pd(s, _mm256_loadu_pd(row_at(&r2, weights, p, dense, L)));
            if (G > 3) s = _mm256_add_pd(s, _mm256_loadu_pd(row_at(&r3, weights, p, dense, L)));
            _mm256_storeu_pd(state, s);
            continue;
        }
#endif
        if (first) for (int k = 0; k < L; k++) state[k] = 0.0;
        add_row(state, row_at(&r0, weights, p, dense, L), L);
        if (G > 1) add_row(state, row_at(&r1, weights, p, dense, L), L);
        if (G > 2) add_row(state, row_at(&r2, weights, p, dense, L), L);
        if (G > 3) add_row(state, row_at(&r3, weights, p, dense, L), L);
    }
}

#define GROUP 4 /* templates a pass over the positions adds */

/* The state scores of window positions from..to-1 (records made) into em, a row each: each position
 * adds its templates' rows in template order, a few templates (of one kind of base) a pass, and
 * the independent positions keep many row loads in flight */
static inline __attribute__((always_inline)) void emissions(const Core *c, const Work *w, Py_ssize_t stride,
                                                          Py_ssize_t from, Py_ssize_t to, double *em, const int L) {
    const Py_ssize_t count = to - from;
    if (!c->n_templates) { memset(em, 0, sizeof(double) * count * L); return; }
    Reader group[GROUP];
    for (int j = 0; j < c->n_templates;) {
        const int dense = c->bases[c->templates[j].base].domain > 0, first = j == 0;
        int g = 0;
        for (; g < GROUP && j < c->n_templates && (c->bases[c->templates[j].base].domain > 0) == dense; g++, j++) {
            const Template *t = &c->templates[j];
            const Base *base = &c->bases[t->base];
            group[g] = (Reader){w->recs + (Py_ssize_t)t->base * stride + from + t->offset,
                                dense ? base->table + t->slot * L : c->weights, 31 - t->slot};
        }
#define ADD(G) (dense ? (first ? add_rows(em, count, group, G, 1, 1, L) : add_rows(em, count, group, G, 1, 0, L)) \
                      : (first ? add_rows(em, count, group, G, 0, 1, L) : add_rows(em, count, group, G, 0, 0, L)))
        switch (g) {
        case 1: ADD(1); break;
        case 2: ADD(2); break;
        case 3: ADD(3); break;
        default: ADD(4); break;
        }
#undef ADD
    }
}

#ifdef __AVX__
/* bit j of a 4-bit mask at bit 2j: the 2-bit fields of four backpointers packed in a byte */
static const uint8_t SPREAD[16] = {0x00, 0x01, 0x04, 0x05, 0x10, 0x11, 0x14, 0x15,
                                   0x40, 0x41, 0x44, 0x45, 0x50, 0x51, 0x54, 0x55};
#endif

/* Viterbi over positions a..b-1 of the sequence v, their state scores em (a row each, changed:
 * the labels the constraints rule out score minus infinity), score carried from a block to the
 * next; backpointers into v->pointers */
static inline __attribute__((always_inline)) void viterbi(const Core *c, const Work *v, double *em, Py_ssize_t a,
                                                        Py_ssize_t b, double *score, const int L) {
    const Py_ssize_t n = v->n;
    double next[MAX_LABELS];
    for (Py_ssize_t p = a; p < b; p++) {
        double *state = em + (p - a) * L;
        int s = v->start[p] * 3 + (p + 1 < n ? v->start[p + 1] : FREE);
        const uint8_t *allowed = c->allowed + s * L;
        for (int k = 0; k < L; k++) if (!allowed[k]) state[k] = -INFINITY;
    }
    for (Py_ssize_t p = a; p < b; p++) {
        const double *state = em + (p - a) * L;
        if (p == 0) {
            for (int k = 0; k < L; k++) score[k] = state[k];
            continue;
        }
        uint8_t *ptr = v->pointers + (size_t)p * c->pointer_bytes;
#ifdef __AVX__
        if (L == 4) { /* the four labels' steps side by side, no branch on a comparison (they
                       * mispredict): the same sums and strict comparisons, the same pointers */
            __m256d top = _mm256_add_pd(_mm256_set1_pd(score[0]), _mm256_loadu_pd(c->transitions));
            unsigned packed = 0;
            for (int i = 1; i < 4; i++) {
                __m256d cand = _mm256_add_pd(_mm256_set1_pd(score[i]), _mm256_loadu_pd(c->transitions + 4 * i));
                __m256d better = _mm256_cmp_pd(cand, top, _CMP_GT_OQ);
                top = _mm256_blendv_pd(top, cand, better);
                unsigned spread = SPREAD[_mm256_movemask_pd(better)];
                packed = (packed & ~(spread * 3u)) | spread * (unsigned)i;
            }
            _mm256_storeu_pd(score, _mm256_add_pd(top, _mm256_loadu_pd(state)));
            ptr[0] = (uint8_t)packed;
            continue;
        }
#endif
        uint8_t packed = 0;
        for (int j = 0; j < L; j++) {
            double top = score[0] + c->transitions[j];
            int arg = 0;
            for (int i = 1; i < L; i++) {
                double cand = score[i] + c->transitions[i * L + j];
                if (cand > top) { top = cand; arg = i; } /* strict: ties keep the lower label, as crfsuite */
            }
            next[j] = top + state[j];
            if (L <= 4) packed |= (uint8_t)(arg << (2 * j)); /* four labels: two bits each, one byte */
            else ptr[j] = (uint8_t)arg;
        }
        if (L <= 4) ptr[0] = packed;
        for (int k = 0; k < L; k++) score[k] = next[k];
    }
}

/* the best labels of the sequence v, from its final scores and backpointers, into v->labels */
static inline __attribute__((always_inline)) void backtrack(const Core *c, const Work *v, const double *score, const int L) {
    const Py_ssize_t n = v->n;
    int current = 0;
    for (int k = 1; k < L; k++) if (score[k] > score[current]) current = k; /* the first maximum */
    v->labels[n - 1] = current;
    for (Py_ssize_t p = n - 1; p > 0; p--) {
        const uint8_t *ptr = v->pointers + (size_t)p * c->pointer_bytes;
        current = L <= 4 ? (ptr[0] >> (2 * current)) & 3 : ptr[current];
        v->labels[p - 1] = current;
    }
}

/* One sequence (a view), block by block; labels into v->labels. L is c->n_labels, a constant
 * where the caller inlines it: the per-label loops then compile to straight vector code. */
static inline __attribute__((always_inline)) void decode_long(const Core *c, Work *v, const int L) {
    const int R = c->radius;
    const Py_ssize_t n = v->n, stride = BLOCK + 2 * R;
    double score[MAX_LABELS] = {0};
    for (Py_ssize_t a = 0; a < n; a += BLOCK) {
        Py_ssize_t b = a + BLOCK < n ? a + BLOCK : n;
        for (int lexical = 0; lexical <= 1; lexical++) {
            window_keys(c, v, a - R, b + R, v->recs, stride, lexical, L);
            records(c, v, stride, b - a + 2 * R, lexical, L);
        }
        emissions(c, v, stride, R, R + b - a, v->emissions, L);
        viterbi(c, v, v->emissions, a, b, score, L);
    }
    backtrack(c, v, score, L);
}

/* Sequences of at most BLOCK characters whose windows (each R beyond both ends) fit in one
 * block, side by side; labels into each one's place in w->labels */
static inline __attribute__((always_inline)) void decode_pack(const Core *c, Work *w, const Seq *seqs, Py_ssize_t n_seqs,
                                                            const int L) {
    const int R = c->radius;
    const Py_ssize_t stride = BLOCK + 2 * R;
    Py_ssize_t x = 0;
    for (int lexical = 0; lexical <= 1; lexical++) {
        x = 0;
        for (Py_ssize_t s = 0; s < n_seqs; s++) {
            Work v = view_of(w, seqs[s].at, seqs[s].n);
            window_keys(c, &v, -R, seqs[s].n + R, w->recs + x, stride, lexical, L);
            x += seqs[s].n + 2 * R;
        }
        records(c, w, stride, x, lexical, L);
    }
    /* the rows of positions between two sequences are made and never read: fewer than the loads
     * the pack saves */
    emissions(c, w, stride, R, x - R, w->emissions, L);
    x = 0;
    for (Py_ssize_t s = 0; s < n_seqs; s++) {
        Work v = view_of(w, seqs[s].at, seqs[s].n);
        double score[MAX_LABELS] = {0};
        viterbi(c, &v, w->emissions + x * L, 0, seqs[s].n, score, L);
        backtrack(c, &v, score, L);
        x += seqs[s].n + 2 * R;
    }
}

/* a pack (n_seqs > 1 or one short sequence) or one long sequence: the tag sets zhseg trains,
 * BMES and six tags, with their label count a constant */
static void decode(const Core *c, Work *w, const Seq *seqs, Py_ssize_t n_seqs) {
    if (n_seqs == 1 && seqs[0].n > BLOCK) {
        Work v = view_of(w, seqs[0].at, seqs[0].n);
        switch (c->n_labels) {
        case 4: decode_long(c, &v, 4); break;
        case 6: decode_long(c, &v, 6); break;
        default: decode_long(c, &v, c->n_labels); break;
        }
        return;
    }
    switch (c->n_labels) {
    case 4: decode_pack(c, w, seqs, n_seqs, 4); break;
    case 6: decode_pack(c, w, seqs, n_seqs, 6); break;
    default: decode_pack(c, w, seqs, n_seqs, c->n_labels); break;
    }
}

/* -- spans of the text: unit spans (never cut inside) and user words (whole, cut at their ends) -- */
typedef struct {
    const int64_t *pairs;
    Py_ssize_t n, next;
    int64_t reach; /* the furthest end of the spans that start before the current position */
} SpanScan;

/* is a boundary at position t strictly inside a span? t must not decrease between calls */
static inline int inside(SpanScan *s, int64_t t) {
    while (s->next < s->n && s->pairs[2 * s->next] < t) {
        if (s->pairs[2 * s->next + 1] > s->reach) s->reach = s->pairs[2 * s->next + 1];
        s->next++;
    }
    return s->reach > t;
}

typedef struct {
    const int64_t *pairs;
    Py_ssize_t n, next;
} EdgeScan;

static inline int is_edge(EdgeScan *s, int64_t t) { /* a start or end of a (sorted, disjoint) span */
    while (s->next < s->n && s->pairs[2 * s->next + 1] < t) s->next++;
    return s->next < s->n && (s->pairs[2 * s->next] == t || s->pairs[2 * s->next + 1] == t);
}

/* Code points of Grapheme_Cluster_Break Other, or whitespace (tests/test_core.py checks them
 * against the regex module's probe): Chinese text is almost all of them, and no cluster of two
 * or more code points is made of these alone */
static const Py_UCS4 PLAIN_RUNS[][2] = { /* sorted */
    {0x9, 0xD}, {0x20, 0x7E}, {0xA0, 0xAC}, {0xAE, 0x2FF}, {0x370, 0x482}, {0x2010, 0x2027}, {0x2030, 0x205E},
    {0x2100, 0x2BFF}, {0x2E80, 0x2FDF}, {0x3000, 0x3029}, {0x3030, 0x303F}, {0x3041, 0x3096}, {0x30A0, 0x30FF},
    {0x3100, 0x4DBF}, {0x4E00, 0x9FFF}, {0xE000, 0xFAFF}, {0xFE30, 0xFE4F}, {0xFF01, 0xFF9D}, {0xFFE0, 0xFFEE},
    {0x1F300, 0x1F3FA}, {0x1F400, 0x1FAFF}, {0x20000, 0x3FFFF},
};

static uint8_t plain_bmp[0x10000 / 8]; /* PLAIN_RUNS in the BMP, a bit each: made at import */

static void make_plain_bmp(void) {
    for (size_t r = 0; r < sizeof PLAIN_RUNS / sizeof PLAIN_RUNS[0]; r++)
        for (Py_UCS4 cp = PLAIN_RUNS[r][0]; cp <= PLAIN_RUNS[r][1] && cp < 0x10000; cp++) plain_bmp[cp >> 3] |= 1 << (cp & 7);
}

static inline int is_plain(Py_UCS4 cp) {
    if (cp < 0x10000) return plain_bmp[cp >> 3] >> (cp & 7) & 1;
    for (size_t r = 0; r < sizeof PLAIN_RUNS / sizeof PLAIN_RUNS[0]; r++)
        if (PLAIN_RUNS[r][0] <= cp && cp <= PLAIN_RUNS[r][1]) return 1;
    return 0;
}

/* -- the call ------------------------------------------------------------------------------------ */
typedef struct {
    Py_ssize_t cap, len;
    int32_t *v; /* (start, end) of each word: offsets in a line, shorter than 2^31 characters */
} Bounds;

static int bounds_push(Bounds *b, Py_ssize_t x, Py_ssize_t y) {
    if (b->len + 2 > b->cap) {
        Py_ssize_t cap = b->cap ? 2 * b->cap : 256;
        if (grow((void **)&b->v, cap, sizeof(int32_t)) < 0) return -1;
        b->cap = cap;
    }
    b->v[b->len++] = (int32_t)x;
    b->v[b->len++] = (int32_t)y;
    return 0;
}

typedef struct {
    const int64_t *at;
    Py_ssize_t n, next;
} CutScan;

static inline int is_cut(CutScan *s, int64_t t) { /* t must not decrease between calls */
    while (s->next < s->n && s->at[s->next] < t) s->next++;
    return s->next < s->n && s->at[s->next] == t;
}

/* One line: its characters (but whitespace) read into w's arrays from `at` on (room reserved
 * for all of them), folded and classed, with where each stands in the line and the constraints
 * on a word starting there (the spans in the offsets of the lines joined, `base` this line's
 * first; with rules, the line's rule matches found here are units too). Returns how many it
 * read, or -1 (out of memory). */
static Py_ssize_t read_line(const Core *c, Work *w, Py_ssize_t at, int kind, const void *data, Py_ssize_t size,
                            int64_t base, SpanScan *units, int rules, SpanScan *words_in, EdgeScan *edges, CutScan *cuts) {
    Py_ssize_t k = at;
    int after_space = 0, prev_iso = 0;
    SpanScan matches = {0}; /* the line's rule matches: units too, found here where rules is set */
    if (rules) {
        const Text text = {kind, data, size};
        w->rules.n = 0;
        if (find_rules(&text, base, &w->rules) < 0) return -1;
        matches = (SpanScan){w->rules.pairs, w->rules.n, 0, 0};
    }
    for (Py_ssize_t i = 0; i < size; i++) {
        Py_UCS4 cp = PyUnicode_READ(kind, data, i);
        if (is_space(cp)) { after_space = 1; continue; }
        int64_t t = base + i;
        int in_word = words_in ? inside(words_in, t) : 0;
        int in_unit = (units ? inside(units, t) : 0) | (matches.n ? inside(&matches, t) : 0);
        int edge = edges ? is_edge(edges, t) : 0;
        int iso = c->isolate && is_isolating(c, cp);
        int cut = cuts ? is_cut(cuts, t) : 0;
        int8_t s = FREE;
        if (k == at) s = FREE;
        else if (after_space) s = in_word ? NEVER : MUST; /* whitespace is a boundary, but inside a user word */
        else {
            if (in_unit || in_word) s = NEVER;
            if (edge) s = MUST;
            if (s == FREE && (iso != prev_iso || cut)) s = MUST; /* punctuation and pictographs stand apart */
        }
        uint32_t folded = fold(c, cp);
        w->codes[k] = folded;
        w->classes[k] = char_class(c, folded);
        w->start[k] = s;
        w->positions[k] = (int32_t)i;
        prev_iso = iso;
        after_space = 0;
        k++;
    }
    return k - at;
}

/* The words of a decoded sequence (a view), each (start, end) in its line appended to out: a word
 * starts at the first character, at a start label, after an end label (never inside a user word
 * that spans whitespace, whatever the labels say). 0, or -1 (out of memory). */
static int line_words(const Core *c, const Work *v, Bounds *out) {
    const Py_ssize_t n = v->n;
    const int32_t *pos = v->positions;
    const uint8_t *lab = v->labels;
    Py_ssize_t word_start = 0;
    for (Py_ssize_t p = 1; p <= n; p++) {
        int starts = p == n;
        if (!starts) {
            starts = c->start_label[lab[p]] || c->end_label[lab[p - 1]];
            if (v->start[p] == NEVER && pos[p] != pos[p - 1] + 1) starts = 0; /* glue */
        }
        if (starts) {
            if (bounds_push(out, pos[word_start], pos[p - 1] + 1) < 0) return -1;
            word_start = p;
        }
    }
    return 0;
}

/* The lines read but not yet decoded: lines first.. (an all-whitespace one has no sequence), their
 * characters in w's arrays from 0 on (chars of them), their windows width positions in all */
typedef struct {
    Seq *seqs;
    Py_ssize_t n_seqs, chars, width, first;
} Pack;

/* Decode the pack's sequences, append the words of its lines up to last-1, in order, their ends
 * into line_end, and empty the pack (lines from last on come next): 0, or -1 (out of memory) */
static int flush_pack(const Core *c, Work *w, Pack *pack, Py_ssize_t last, Bounds *out, Py_ssize_t *line_end) {
    const Seq *seqs = pack->seqs;
    const Py_ssize_t n_seqs = pack->n_seqs;
    Py_ssize_t longest = 0;
    for (Py_ssize_t s = 0; s < n_seqs; s++) if (seqs[s].n > longest) longest = seqs[s].n;
    if (n_seqs && pointers_reserve(w, c, longest) < 0) return -1;
    if (n_seqs) decode(c, w, seqs, n_seqs);
    Py_ssize_t s = 0;
    for (Py_ssize_t li = pack->first; li < last; li++) {
        if (s < n_seqs && seqs[s].line == li) {
            Work v = view_of(w, seqs[s].at, seqs[s].n);
            if (line_words(c, &v, out) < 0) return -1;
            s++;
        }
        line_end[li] = out->len;
    }
    pack->n_seqs = pack->chars = pack->width = 0;
    pack->first = last;
    return 0;
}

static int read_spans(PyObject *obj, Py_buffer *view, const int64_t **pairs, Py_ssize_t *n) {
    *pairs = NULL;
    *n = 0;
    if (obj == Py_None) return 0;
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS) < 0) return -1;
    if (view->len % 16) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_ValueError, "spans: int64 (start, end) pairs expected");
        return -1;
    }
    *pairs = view->buf;
    *n = view->len / 16;
    return 1;
}

/* What a batch decodes to: every line's word bounds end to end, and where each line's end; with
 * the lines' characters as decode_batch read them (valid while the caller holds the lines). */
typedef struct {
    Bounds bounds;
    Py_ssize_t *line_end; /* line li's pairs: bounds.v[line_end[li - 1] .. line_end[li]) (int32 items) */
    const void **data;    /* per line, PyUnicode_DATA */
    int *kinds;           /* per line, PyUnicode_KIND */
} Batch;

static void batch_free(Batch *b) {
    free(b->bounds.v);
    free(b->line_end);
    free(b->data);
    free(b->kinds);
}

/* Decode n_lines lines (each its kind, data and size, as PyUnicode_READ reads them; a size of 0
 * for a line with no words) with their spans into batch's bounds and line ends, by packs of
 * lines. Needs no GIL: the caller releases it. 0, or -1 (out of memory). */
static int decode_lines(const Core *self, Py_ssize_t n_lines, const int *kinds, const void *const *data,
                        const Py_ssize_t *sizes, SpanScan *units, int rules, SpanScan *words, EdgeScan *edges,
                        CutScan *cuts, Batch *batch) {
    Work w = {0};
    const Py_ssize_t window = BLOCK + 2 * self->radius;
    /* a sequence takes 1 + 2 radius or more of a pack's BLOCK + 2 radius window positions, so a
     * pack holds at most BLOCK sequences (a long line is one alone) */
    Pack pack = {malloc(sizeof(Seq) * (BLOCK + 1)), 0, 0, 0, 0};
    int64_t base = 0;
    int rc = pack.seqs ? 0 : -1;
    for (Py_ssize_t li = 0; li < n_lines && rc == 0; li++) {
        /* a line that may not fit (its size bounds its characters) closes the pack first */
        if (pack.width + sizes[li] + 2 * self->radius > window)
            rc = flush_pack(self, &w, &pack, li, &batch->bounds, batch->line_end);
        if (rc == 0 && work_reserve(&w, self, pack.chars + sizes[li]) < 0) rc = -1;
        if (rc == 0) {
            Py_ssize_t n = read_line(self, &w, pack.chars, kinds[li], data[li], sizes[li], base, units, rules,
                                     words, edges, cuts);
            if (n < 0) { rc = -1; break; }
            if (n) {
                pack.seqs[pack.n_seqs++] = (Seq){pack.chars, n, li};
                pack.chars += n;
                pack.width += n + 2 * self->radius;
            }
            if (n > BLOCK) /* a long line: decoded alone (the pack held nothing else) */
                rc = flush_pack(self, &w, &pack, li + 1, &batch->bounds, batch->line_end);
        }
        base += sizes[li] + 1;
    }
    if (rc == 0) rc = flush_pack(self, &w, &pack, n_lines, &batch->bounds, batch->line_end);
    work_free(&w);
    free(pack.seqs);
    return rc;
}

/* Decode lines (a list of str) with their spans; the GIL is released for the whole batch, so
 * threads decoding other batches run at once: the lines are read through pointers taken first
 * (the caller holds the list, and str objects do not change). 0, or -1 with an exception set. */
static int decode_batch(Core *self, PyObject *lines, PyObject *units_obj, int rules, PyObject *words_obj,
                        PyObject *cuts_obj, Batch *batch) {
    Py_buffer uview, wview, cview;
    SpanScan units = {0}, words = {0};
    EdgeScan edges = {0};
    CutScan cuts = {0};
    memset(batch, 0, sizeof(Batch));
    int has_units = read_spans(units_obj, &uview, &units.pairs, &units.n);
    if (has_units < 0) return -1;
    int has_words = read_spans(words_obj, &wview, &words.pairs, &words.n);
    if (has_words < 0) { if (has_units) PyBuffer_Release(&uview); return -1; }
    int has_cuts = 0;
    if (cuts_obj != Py_None) {
        if (PyObject_GetBuffer(cuts_obj, &cview, PyBUF_C_CONTIGUOUS) < 0 || cview.len % 8) {
            if (!PyErr_Occurred()) { PyBuffer_Release(&cview); PyErr_SetString(PyExc_ValueError, "cuts: int64 positions expected"); }
            if (has_units) PyBuffer_Release(&uview);
            if (has_words) PyBuffer_Release(&wview);
            return -1;
        }
        has_cuts = 1;
        cuts.at = cview.buf;
        cuts.n = cview.len / 8;
    }
    edges.pairs = words.pairs;
    edges.n = words.n;
    Py_ssize_t n_lines = PyList_GET_SIZE(lines);
    int failed = 0;
    const void **data = batch->data = malloc(sizeof(void *) * (n_lines ? n_lines : 1));
    int *kinds = batch->kinds = malloc(sizeof(int) * (n_lines ? n_lines : 1));
    Py_ssize_t *sizes = malloc(sizeof(Py_ssize_t) * (n_lines ? n_lines : 1));
    batch->line_end = malloc(sizeof(Py_ssize_t) * (n_lines ? n_lines : 1));
    if (!data || !kinds || !sizes || !batch->line_end) { PyErr_NoMemory(); failed = 1; }
    for (Py_ssize_t li = 0; li < n_lines && !failed; li++) {
        PyObject *line = PyList_GET_ITEM(lines, li);
        if (!PyUnicode_Check(line)) {
            PyErr_Format(PyExc_TypeError, "expected a str to segment, got %s", Py_TYPE(line)->tp_name);
            failed = 1;
        } else if ((sizes[li] = PyUnicode_GET_LENGTH(line)) >= INT32_MAX) {
            PyErr_SetString(PyExc_ValueError, "a line of 2^31 characters or more: split it");
            failed = 1;
        } else {
            kinds[li] = PyUnicode_KIND(line);
            data[li] = PyUnicode_DATA(line);
        }
    }
    if (!failed) {
        int rc;
        Py_BEGIN_ALLOW_THREADS
        rc = decode_lines(self, n_lines, kinds, data, sizes, has_units ? &units : NULL, rules,
                          has_words ? &words : NULL, has_words ? &edges : NULL, has_cuts ? &cuts : NULL, batch);
        Py_END_ALLOW_THREADS
        if (rc < 0) { PyErr_NoMemory(); failed = 1; }
    }
    free(sizes);
    if (has_units) PyBuffer_Release(&uview);
    if (has_words) PyBuffer_Release(&wview);
    if (has_cuts) PyBuffer_Release(&cview);
    if (failed) batch_free(batch);
    return failed ? -1 : 0;
}

/* segment(lines, units=None, words=None, cuts=None, rules=False) -> list of (starts and ends, int32 bytes) per line
 *
 * lines: a list of str, each one sequence (whitespace in it a boundary, never a word).
 * units: None or int64 (start, end) pairs, sorted by start, in the offsets of "\n".join(lines):
 *     spans never cut inside (rule matches, grapheme clusters).
 * words: None or int64 (start, end) pairs, sorted and disjoint: user-word occurrences, each
 *     exactly one word.
 * cuts: None or sorted int64 positions where a word must start (unless a unit or word spans it).
 * rules: the rules' matches (find_rules, rule_spans' scan) are units too, found line by line
 *     here: units need not hold them (no user words: those need the matches first).
 * Each line's result: the int32 (start, end) pairs of its words, offsets into the line; a word
 * spanning whitespace (a user word) keeps it. */
static PyObject *core_segment(Core *self, PyObject *args) {
    PyObject *lines, *units_obj = Py_None, *words_obj = Py_None, *cuts_obj = Py_None;
    int rules = 0;
    if (!PyArg_ParseTuple(args, "O!|OOOp", &PyList_Type, &lines, &units_obj, &words_obj, &cuts_obj, &rules)) return NULL;
    Batch batch;
    if (decode_batch(self, lines, units_obj, rules, words_obj, cuts_obj, &batch) < 0) return NULL;
    Py_ssize_t n_lines = PyList_GET_SIZE(lines);
    PyObject *result = PyList_New(n_lines);
    for (Py_ssize_t li = 0; result && li < n_lines; li++) {
        Py_ssize_t first = li ? batch.line_end[li - 1] : 0;
        PyObject *bytes = PyBytes_FromStringAndSize((const char *)(batch.bounds.v + first),
                                                    sizeof(int32_t) * (batch.line_end[li] - first));
        if (!bytes) { Py_CLEAR(result); break; }
        PyList_SET_ITEM(result, li, bytes);
    }
    batch_free(&batch);
    return result;
}

#define LINE_WORDS(li) const int32_t *v = batch->bounds.v + (li ? batch->line_end[li - 1] : 0); \
    Py_ssize_t n_words = (batch->line_end[li] - (li ? batch->line_end[li - 1] : 0)) / 2;

static inline char *put_utf8(char *at, Py_UCS4 cp) {
    if (cp < 0x80) *at++ = (char)cp;
    else if (cp < 0x800) { *at++ = (char)(0xC0 | cp >> 6); *at++ = (char)(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) {
        *at++ = (char)(0xE0 | cp >> 12); *at++ = (char)(0x80 | ((cp >> 6) & 0x3F)); *at++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *at++ = (char)(0xF0 | cp >> 18); *at++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *at++ = (char)(0x80 | ((cp >> 6) & 0x3F)); *at++ = (char)(0x80 | (cp & 0x3F));
    }
    return at;
}

/* Bytes that the lines' text as UTF-8 fits in (4 a character) */
static Py_ssize_t utf8_room(Py_ssize_t n_lines, const Batch *batch, Py_ssize_t sep_size) {
    Py_ssize_t room = 0;
    for (Py_ssize_t li = 0; li < n_lines; li++) {
        LINE_WORDS(li)
        for (Py_ssize_t k = 0; k < n_words; k++) room += 4 * (v[2 * k + 1] - v[2 * k]) + sep_size;
        room += 1;
    }
    return room;
}

/* Write the lines' words joined by sep, each line then "\n", as UTF-8 from at on (a lone surrogate
 * as Python's "surrogatepass" writes it, as zhseg's text outputs do), except the lines that skip
 * (NULL: none) marks: for each of those, in order, where it would have been goes to skipped. Needs
 * no GIL. The end of what was written. */
static char *write_utf8(char *at, Py_ssize_t n_lines, const Batch *batch, const char *sep, Py_ssize_t sep_size,
                        const uint8_t *skip, int64_t *skipped) {
    const char *const out = at;
    for (Py_ssize_t li = 0; li < n_lines; li++) {
        if (skip && skip[li]) { *skipped++ = at - out; continue; }
        LINE_WORDS(li)
        const int kind = batch->kinds[li];
        const void *data = batch->data[li];
        for (Py_ssize_t k = 0; k < n_words; k++) {
            if (k) { memcpy(at, sep, sep_size); at += sep_size; }
            for (Py_ssize_t i = v[2 * k]; i < v[2 * k + 1]; i++) at = put_utf8(at, PyUnicode_READ(kind, data, i));
        }
        *at++ = '\n';
    }
    return at;
}

/* The lines' words joined by sep, each line then "\n", as UTF-8 bytes, written without the GIL (so
 * threads segmenting other batches go on meanwhile). */
static PyObject *words_utf8(Py_ssize_t n_lines, const Batch *batch, PyObject *sep) {
    Py_ssize_t sep_size;
    const char *sep_bytes = PyUnicode_AsUTF8AndSize(sep, &sep_size);
    if (!sep_bytes) return NULL;
    Py_ssize_t room = utf8_room(n_lines, batch, sep_size);
    char *out = malloc(room ? room : 1), *end;
    if (!out) { PyErr_NoMemory(); return NULL; }
    Py_BEGIN_ALLOW_THREADS
    end = write_utf8(out, n_lines, batch, sep_bytes, sep_size, NULL, NULL);
    Py_END_ALLOW_THREADS
    PyObject *result = PyBytes_FromStringAndSize(out, end - out);
    free(out);
    return result;
}

/* The code points of the UTF-8 bytes p[0..n) into out, as bytes.decode("utf-8") reads them
 * (strict: no overlong forms, surrogates or code points past U+10FFFF); *plain cleared where one
 * is not in PLAIN_RUNS. How many, or -1 where the bytes are not UTF-8. */
static Py_ssize_t utf8_decode(const uint8_t *p, Py_ssize_t n, uint32_t *out, int *plain) {
    Py_ssize_t i = 0, k = 0;
    int all_plain = 1;
    while (i < n) {
        const uint32_t b0 = p[i];
        uint32_t cp;
        if (b0 < 0x80) { cp = b0; i += 1; }
        else if (b0 < 0xC2) return -1; /* a continuation byte, or an overlong lead */
        else if (b0 < 0xE0) {
            if (n - i < 2 || (p[i + 1] & 0xC0) != 0x80) return -1;
            cp = (b0 & 0x1F) << 6 | (p[i + 1] & 0x3F);
            i += 2;
        } else if (b0 < 0xF0) {
            if (n - i < 3) return -1;
            const uint32_t b1 = p[i + 1], b2 = p[i + 2];
            if ((b1 & 0xC0) != 0x80 || (b2 & 0xC0) != 0x80 || (b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 >= 0xA0))
                return -1; /* overlong, or a surrogate */
            cp = (b0 & 0x0F) << 12 | (b1 & 0x3F) << 6 | (b2 & 0x3F);
            i += 3;
        } else if (b0 < 0xF5) {
            if (n - i < 4) return -1;
            const uint32_t b1 = p[i + 1], b2 = p[i + 2], b3 = p[i + 3];
            if ((b1 & 0xC0) != 0x80 || (b2 & 0xC0) != 0x80 || (b3 & 0xC0) != 0x80 || (b0 == 0xF0 && b1 < 0x90) ||
                (b0 == 0xF4 && b1 >= 0x90))
                return -1; /* overlong, or past U+10FFFF */
            cp = (b0 & 0x07) << 18 | (b1 & 0x3F) << 12 | (b2 & 0x3F) << 6 | (b3 & 0x3F);
            i += 4;
        } else return -1;
        all_plain &= is_plain(cp);
        out[k++] = cp;
    }
    *plain = all_plain;
    return k;
}

/* text_from_utf8(data, sep, bom=False, rules=False) -> (text, places, spans), or None
 *
 * data: UTF-8 bytes (any buffer), their lines as TextBlock.lines() makes them: split at "\n", the
 *     "\r"s ending a line dropped, with bom a byte order mark at the start skipped.
 * text: the lines' words joined by sep, each line then "\n", as UTF-8 (words as words(lines, None,
 *     None, sep, True, rules) makes them), except the lines whose spans the caller must find: those
 *     that may hold a grapheme cluster of two or more code points (a code point not in PLAIN_RUNS)
 *     and those of 2^31 characters or more. None of those is written;
 * places: for each of them, in order, where its text belongs in text (int64);
 * spans: for each of them, its first byte in data and the byte after its last character (int64
 *     pairs).
 * None where data is not UTF-8 (strict, as bytes.decode). All of it without the GIL: a block
 * decoded and split into lines in Python held it for 12 ms of every 2 MB's 170, the part of
 * segment --jobs that two threads could not share. */
static PyObject *core_text_from_utf8(Core *self, PyObject *args) {
    Py_buffer view;
    PyObject *sep;
    int bom = 0, rules = 0;
    if (!PyArg_ParseTuple(args, "y*U|pp", &view, &sep, &bom, &rules)) return NULL;
    Py_ssize_t sep_size;
    const char *sep_bytes = PyUnicode_AsUTF8AndSize(sep, &sep_size);
    if (!sep_bytes) { PyBuffer_Release(&view); return NULL; }
    const uint8_t *p = view.buf;
    const Py_ssize_t n = view.len;
    Batch decoded = {0}, *batch = &decoded;
    uint32_t *codes = NULL;
    Py_ssize_t *sizes = NULL;
    uint8_t *hard = NULL;
    int64_t *spans = NULL, *places = NULL;
    char *out = NULL, *end = NULL;
    Py_ssize_t n_lines = 0, n_holes = 0;
    int rc = 0; /* -1 out of memory, -2 not UTF-8 */
    Py_BEGIN_ALLOW_THREADS
    Py_ssize_t at = bom && n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF ? 3 : 0;
    Py_ssize_t most = 1; /* lines at most: one more than its line ends */
    for (const uint8_t *q = p + at; (q = memchr(q, '\n', p + n - q)); q++) most++;
    codes = malloc(sizeof(uint32_t) * (n - at + 1));
    sizes = malloc(sizeof(Py_ssize_t) * most);
    hard = malloc(most);
    Py_ssize_t spans_room = 16; /* lines left out (a few in a thousand, in Chinese text) */
    spans = malloc(2 * sizeof(int64_t) * spans_room);
    batch->data = malloc(sizeof(void *) * most);
    batch->kinds = malloc(sizeof(int) * most);
    batch->line_end = malloc(sizeof(Py_ssize_t) * most);
    if (!codes || !sizes || !hard || !spans || !batch->data || !batch->kinds || !batch->line_end) rc = -1;
    Py_ssize_t chars = 0;
    while (rc == 0 && at < n) {
        const uint8_t *nl = memchr(p + at, '\n', n - at);
        const Py_ssize_t next = nl ? nl - p + 1 : n;
        Py_ssize_t stop = nl ? nl - p : n;
        while (stop > at && p[stop - 1] == '\r') stop--;
        int plain;
        const Py_ssize_t size = utf8_decode(p + at, stop - at, codes + chars, &plain);
        if (size < 0) { rc = -2; break; }
        const Py_ssize_t li = n_lines++;
        batch->kinds[li] = PyUnicode_4BYTE_KIND;
        batch->data[li] = codes + chars;
        hard[li] = !plain || size >= INT32_MAX;
        sizes[li] = hard[li] ? 0 : size;
        if (hard[li] && n_holes == spans_room && grow((void **)&spans, 2 * (spans_room *= 2), sizeof(int64_t)) < 0) {
            rc = -1;
            break;
        }
        if (hard[li]) {
            spans[2 * n_holes] = at;
            spans[2 * n_holes + 1] = stop;
            n_holes++;
        }
        chars += size;
        at = next;
    }
    if (rc == 0) rc = decode_lines(self, n_lines, batch->kinds, batch->data, sizes, NULL, rules, NULL, NULL, NULL, batch);
    if (rc == 0) {
        places = malloc(sizeof(int64_t) * (n_holes ? n_holes : 1));
        out = malloc(utf8_room(n_lines, batch, sep_size) + 1);
        if (!places || !out) rc = -1;
        else end = write_utf8(out, n_lines, batch, sep_bytes, sep_size, hard, places);
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    PyObject *result = NULL;
    if (rc == -1) PyErr_NoMemory();
    else if (rc == -2) { Py_INCREF(Py_None); result = Py_None; }
    else result = Py_BuildValue("(y#y#y#)", out, (Py_ssize_t)(end - out), (const char *)places,
                                (Py_ssize_t)(sizeof(int64_t) * n_holes), (const char *)spans,
                                (Py_ssize_t)(2 * sizeof(int64_t) * n_holes));
    free(out);
    free(places);
    free(spans);
    free(hard);
    free(sizes);
    free(codes);
    batch_free(batch);
    return result;
}

#define SHARED_BITS 14   /* words shared per batch: 2^14 slots by their characters */
#define SHARED (1 << SHARED_BITS)
#define SHARED_LENGTH 3  /* ... for words up to this many characters (most words, and the most repeated):
                          * their characters, each code point + 1 in 21 bits, are the slot's key */

typedef struct {
    uint64_t key;    /* 0: empty */
    PyObject *word;
} SharedSlot;

/* The str of line[start:end): for a short word, the one made last for its slot in shared, if it
 * is this word (a str never changes, so one serves every occurrence: fewer allocations, and the
 * word lists free faster); else a new one, kept in the slot. The slot's key says which word it
 * holds, so a look-up reads no str. A new reference, or NULL. */
static PyObject *shared_word(SharedSlot *shared, PyObject *line, Py_ssize_t start, Py_ssize_t end) {
    if (end - start > SHARED_LENGTH) return PyUnicode_Substring(line, start, end);
    const int kind = PyUnicode_KIND(line);
    const void *data = PyUnicode_DATA(line);
    uint64_t key = 0;
    for (Py_ssize_t i = start; i < end; i++) key = key << 21 | (PyUnicode_READ(kind, data, i) + 1);
    SharedSlot *slot = &shared[(key * FIB) >> (64 - SHARED_BITS)];
    if (slot->key != key) {
        PyObject *word = PyUnicode_Substring(line, start, end);
        if (!word) return NULL;
        Py_XSETREF(slot->word, word);
        slot->key = key;
    }
    Py_INCREF(slot->word);
    return slot->word;
}

/* words(lines, units=None, words=None, sep=None, utf8=False, rules=False): segment(), with each line's words as
 * str: a list of word lists, or with sep, one str: each line's words joined by sep, then "\n"
 * (with utf8, those as UTF-8 bytes). */
static PyObject *core_words(Core *self, PyObject *args) {
    PyObject *lines, *units_obj = Py_None, *words_obj = Py_None, *sep = Py_None;
    int utf8 = 0, rules = 0;
    if (!PyArg_ParseTuple(args, "O!|OOOpp", &PyList_Type, &lines, &units_obj, &words_obj, &sep, &utf8, &rules)) return NULL;
    if (sep != Py_None && !PyUnicode_Check(sep)) { PyErr_SetString(PyExc_TypeError, "sep: a str"); return NULL; }
    Batch decoded, *batch = &decoded;
    if (decode_batch(self, lines, units_obj, rules, words_obj, Py_None, batch) < 0) return NULL;
    Py_ssize_t n_lines = PyList_GET_SIZE(lines);
    PyObject *result = NULL;
    if (sep != Py_None && utf8) {
        result = words_utf8(n_lines, batch, sep);
        batch_free(batch);
        return result;
    }
    if (sep == Py_None) {
        /* no collection while the lists are made: every one is new and alive in result, so the
         * young generation's collections here (one per 700 lists) would only walk them; Python
         * 3.12+ defers a collection to the next bytecode anyway. The GIL is held throughout, so
         * no other code can see the collector off. */
        const int collecting = PyGC_Disable();
        SharedSlot *shared = calloc(SHARED, sizeof(SharedSlot));
        result = shared ? PyList_New(n_lines) : PyErr_NoMemory();
        for (Py_ssize_t li = 0; result && li < n_lines; li++) {
            PyObject *line = PyList_GET_ITEM(lines, li);
            LINE_WORDS(li)
            PyObject *list = PyList_New(n_words);
            if (!list) { Py_CLEAR(result); break; }
            for (Py_ssize_t k = 0; k < n_words; k++) {
                PyObject *word = shared_word(shared, line, v[2 * k], v[2 * k + 1]);
                if (!word) { Py_DECREF(list); list = NULL; break; }
                PyList_SET_ITEM(list, k, word);
            }
            if (!list) { Py_CLEAR(result); break; }
            PyList_SET_ITEM(result, li, list);
        }
        for (int i = 0; shared && i < SHARED; i++) Py_XDECREF(shared[i].word);
        free(shared);
        if (collecting) PyGC_Enable();
    } else {
        /* one pass for the size and widest character, one to write */
        Py_ssize_t sep_len = PyUnicode_GET_LENGTH(sep), total = 0;
        Py_UCS4 maxchar = PyUnicode_MAX_CHAR_VALUE(sep);
        for (Py_ssize_t li = 0; li < n_lines; li++) {
            PyObject *line = PyList_GET_ITEM(lines, li);
            LINE_WORDS(li)
            for (Py_ssize_t k = 0; k < n_words; k++) total += v[2 * k + 1] - v[2 * k];
            total += (n_words > 1 ? (n_words - 1) * sep_len : 0) + 1;
            if (PyUnicode_MAX_CHAR_VALUE(line) > maxchar) maxchar = PyUnicode_MAX_CHAR_VALUE(line);
        }
        result = PyUnicode_New(total, maxchar < 0x7f ? 0x7f : maxchar);
        Py_ssize_t at = 0;
        for (Py_ssize_t li = 0; result && li < n_lines; li++) {
            PyObject *line = PyList_GET_ITEM(lines, li);
            LINE_WORDS(li)
            for (Py_ssize_t k = 0; k < n_words; k++) {
                if (k && sep_len) { PyUnicode_CopyCharacters(result, at, sep, 0, sep_len); at += sep_len; }
                Py_ssize_t len = v[2 * k + 1] - v[2 * k];
                PyUnicode_CopyCharacters(result, at, line, v[2 * k], len);
                at += len;
            }
            PyUnicode_WriteChar(result, at++, '\n');
        }
        if (result && PyUnicode_KIND(result) != PyUnicode_1BYTE_KIND) {
            /* the widest character may have been whitespace that is not written: a str must be
             * stored at its narrowest width, so copy it to the width its characters need */
            PyObject *narrow = PyUnicode_FromKindAndData(PyUnicode_KIND(result), PyUnicode_DATA(result),
                                                         PyUnicode_GET_LENGTH(result));
            Py_DECREF(result);
            result = narrow;
        }
    }
    batch_free(batch);
    return result;
}
#undef LINE_WORDS

/* -- the built tables as bytes, and back -------------------------------------------------------------
 * What core_init lays out, written as it is held, so that a process takes it in with one copy
 * instead of building it again (a fifth of a second for the default model: model/core.py keeps
 * the bytes beside the model). They hold this file's hashing and layout, so TABLES_LAYOUT changes
 * whenever those do, and tables of another layout are not read (the caller builds anew). A header
 * (magic, byte order, layout, the caller's tag, the payload's length and checksum), then the
 * payload: the fields in the order walk_core() visits them, each padded to 8 bytes. walk_core() is
 * the one description of the layout, for writing and for reading; read back, every index the
 * decoder follows is checked (tables_valid), so damaged tables are an error, never a read out of
 * bounds. */
#define TABLES_MAGIC "zhsegCT\n"
#define TABLES_LAYOUT 1
#define BYTE_ORDER_MARK 0x0102030405060708ULL
#define TABLES_HEADER 48 /* magic, byte order, layout and tag length, payload length, checksum, reserved */

/* The pages of a read-only file mapping that have been read, dropped from the process's resident
 * set as reading goes on (the page cache keeps them; a second read faults them back in). The
 * tables are copied out of the mapping, so without this a process's peak holds the mapping and the
 * copy: 25 MB more for the default model. Only for a shared file mapping (load_tables' release):
 * on other memory MADV_DONTNEED would discard the bytes. */
#define RELEASE_STEP ((size_t)1 << 20)
typedef struct {
    const char *base; /* page-aligned: the mapping's start */
    size_t done;      /* bytes from base already dropped */
    size_t page;      /* 0: nothing is dropped */
} Release;

static void release_below(Release *r, const char *upto) {
#if defined(__linux__) && defined(MADV_DONTNEED)
    if (!r || !r->page) return;
    const size_t end = (size_t)(upto - r->base) & ~(r->page - 1);
    if (end < r->done + RELEASE_STEP) return;
    madvise((void *)(r->base + r->done), end - r->done, MADV_DONTNEED);
    r->done = end;
#else
    (void)r; (void)upto;
#endif
}

typedef struct {
    int reading;      /* 0: from the Core into out (out NULL: only counting) */
    char *out;
    const char *in;   /* reading: the payload */
    size_t n, at;     /* the payload's bytes; where the walk is */
    int bad, oom;     /* reading: a field out of range, or past the payload's end; out of memory */
    Release *release; /* reading: the mapping's pages to drop once read, or NULL */
} Walk;

static inline size_t padded8(size_t n) { return (n + 7) & ~(size_t)7; }

/* n bytes at p: written, or read into p */
static void walk_bytes(Walk *w, void *p, size_t n) {
    if (w->bad || w->oom) return;
    if (!w->reading) {
        if (w->out) {
            memcpy(w->out + w->at, p, n);
            memset(w->out + w->at + n, 0, padded8(n) - n);
        }
    } else if (n > w->n - w->at || padded8(n) > w->n - w->at) {
        w->bad = 1;
        return;
    } else {
        memcpy(p, w->in + w->at, n);
        release_below(w->release, w->in + w->at + n);
    }
    w->at += padded8(n);
}

/* an array of n bytes at *p: written, or read into a new allocation (big: table_alloc's, for the
 * tables read at random) */
static void walk_array(Walk *w, void **p, size_t n, int big) {
    if (w->reading && !w->bad && !w->oom) {
        if (n > w->n - w->at) { w->bad = 1; return; } /* before allocating what the bytes cannot hold */
        if (!(*p = big ? table_alloc(n ? n : 1) : malloc(n ? n : 1))) { w->oom = 1; return; }
    }
    walk_bytes(w, *p, n);
}

static int64_t walk_i64(Walk *w, int64_t v) {
    walk_bytes(w, &v, 8);
    return v;
}

/* a scalar field of any integer type, through 8 bytes; lo..hi: its range when read */
#define SCALAR(w, x, lo, hi) do { \
        int64_t v_ = walk_i64(w, (int64_t)(x)); \
        if ((w)->reading && (v_ < (int64_t)(lo) || v_ > (int64_t)(hi))) (w)->bad = 1; \
        if ((w)->reading && !(w)->bad) (x) = (__typeof__(x))v_; } while (0)
#define ARRAY(w, field, n, big) walk_array(w, (void **)&(field), (size_t)(n), big)
#define GOOD(w) (!(w)->bad && !(w)->oom)

/* an open-addressing table (Hash or RecordHash: bits, mask, n, slots) of slot_bytes a slot */
#define HASH(w, h, slot_bytes, big) do { \
        SCALAR(w, (h)->bits, 4, 40); \
        SCALAR(w, (h)->n, 0, INT64_MAX); \
        if (GOOD(w)) { (h)->mask = (1ULL << (h)->bits) - 1; ARRAY(w, (h)->slots, (size_t)(slot_bytes) << (h)->bits, big); } \
    } while (0)

/* Every field of a built Core, in one order: written (w->reading 0) or read into a Core fresh from
 * tp_alloc (zeroed; what was allocated is freed by core_dealloc, also when the walk fails) */
static void walk_core(Core *c, Walk *w) {
    SCALAR(w, c->n_labels, 1, MAX_LABELS);
    SCALAR(w, c->radius, 0, 64);
    SCALAR(w, c->isolate, 0, 1);
    SCALAR(w, c->n_lexicons, 0, MAX_LEXICONS);
    if (!GOOD(w)) return;
    const int L = c->n_labels;
    c->pointer_bytes = L <= 4 ? 1 : L;
    walk_bytes(w, c->transitions, sizeof(double) * L * L);
    walk_bytes(w, c->allowed, 9 * L);
    walk_bytes(w, c->start_label, L);
    walk_bytes(w, c->end_label, L);
    walk_bytes(w, c->lexicon_length, sizeof(int) * c->n_lexicons);
    SCALAR(w, c->longest_word, 0, MAX_LENGTH);
    SCALAR(w, c->pair_base, -1, INT32_MAX);
    SCALAR(w, c->pair_shift, 0, 31);
    SCALAR(w, c->has_variety, 0, 1);
    SCALAR(w, c->n_fold_hi, 0, CODE_SPACE);
    SCALAR(w, c->n_class_hi, 1, CODE_SPACE);
    SCALAR(w, c->n_bases, 0, 4096);
    SCALAR(w, c->n_templates, 0, 4096);
    SCALAR(w, c->n_rows, 1, UINT32_MAX - 1);
    if (!GOOD(w)) return;
    ARRAY(w, c->fold_bmp, 4 * 0x10000, 0);
    ARRAY(w, c->fold_hi_keys, 8 * c->n_fold_hi, 0);
    ARRAY(w, c->fold_hi_values, 8 * c->n_fold_hi, 0);
    ARRAY(w, c->class_bmp, 0x10000, 0);
    ARRAY(w, c->class_hi_starts, 8 * c->n_class_hi, 0);
    ARRAY(w, c->class_hi_values, c->n_class_hi, 0);
    ARRAY(w, c->isolating, (CODE_SPACE + 7) / 8, 0);
    ARRAY(w, c->templates, sizeof(Template) * c->n_templates, 0);
    if (w->reading && GOOD(w) && !(c->bases = calloc(c->n_bases ? c->n_bases : 1, sizeof(Base)))) w->oom = 1;
    for (int b = 0; b < c->n_bases && GOOD(w); b++) {
        Base *base = &c->bases[b];
        SCALAR(w, base->kind, K_CHAR, K_AV);
        SCALAR(w, base->param, -64, 64);
        SCALAR(w, base->part, 0, 2);
        SCALAR(w, base->domain, 0, 1 << 24);
        SCALAR(w, base->n_slots, 1, 32);
        SCALAR(w, base->row_bits, 0, UINT32_MAX);
        if (!GOOD(w)) return;
        if (base->domain > 0) ARRAY(w, base->table, sizeof(double) * (base->domain + 1) * base->n_slots * L, 0);
        else HASH(w, &base->hash, sizeof(RecordSlot), 1);
    }
    ARRAY(w, c->weights, sizeof(double) * L * c->n_rows, 1);
    PieceTable *t = &c->pieces;
    SCALAR(w, t->bits, 4, 40);
    SCALAR(w, t->flag_bits, 2, 2 * MAX_LEXICONS);
    SCALAR(w, t->filter_bits, 6, 46);
    if (!GOOD(w)) return;
    t->mask = (1ULL << t->bits) - 1;
    t->flags_mask = (1ULL << t->flag_bits) - 1;
    ARRAY(w, t->slots, sizeof(uint64_t) << t->bits, 1);
    ARRAY(w, t->filter, ((size_t)1 << t->filter_bits) / 8, 0);
    if (!c->has_variety) return;
    SCALAR(w, c->variety.max_length, 2, MAX_LENGTH);
    for (int len = 0; len <= MAX_LENGTH && GOOD(w); len++) {
        SCALAR(w, c->variety.has[len], 0, len >= 2 && len <= c->variety.max_length);
        if (c->variety.has[len]) HASH(w, &c->variety.index[len], sizeof(Slot), 0);
    }
}

/* the checksum of n bytes (n a multiple of 8): FNV-style over 64-bit words, four lanes at once;
 * release: the pages read, dropped (or NULL) */
static uint64_t tables_checksum(const char *p, size_t n, Release *release) {
    uint64_t h[4] = {FNV_SEED, FNV_SEED ^ 1, FNV_SEED ^ 2, FNV_SEED ^ 3}, x;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        for (int k = 0; k < 4; k++) { memcpy(&x, p + i + 8 * k, 8); h[k] = (h[k] ^ x) * FNV_PRIME; }
        release_below(release, p + i + 32);
    }
    for (; i + 8 <= n; i += 8) { memcpy(&x, p + i, 8); h[0] = (h[0] ^ x) * FNV_PRIME; }
    return ((h[0] * FIB ^ h[1]) * FIB ^ h[2]) * FIB ^ h[3];
}

/* the bytes of the tables core_init built, tag (the caller's: which model, standard and options
 * they are of) in their header */
static PyObject *core_tables(Core *self, PyObject *args) {
    Py_buffer tag;
    if (!PyArg_ParseTuple(args, "y*", &tag)) return NULL;
    Walk count = {0};
    walk_core(self, &count);
    const size_t head = TABLES_HEADER + padded8(tag.len);
    PyObject *bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(head + count.at));
    if (!bytes) { PyBuffer_Release(&tag); return NULL; }
    char *out = PyBytes_AS_STRING(bytes);
    memset(out, 0, head);
    Walk w = {.out = out + head};
    walk_core(self, &w);
    const uint64_t order = BYTE_ORDER_MARK, layout = (uint64_t)TABLES_LAYOUT | (uint64_t)tag.len << 32,
                   length = w.at, sum = tables_checksum(out + head, w.at, NULL);
    memcpy(out, TABLES_MAGIC, 8);
    memcpy(out + 8, &order, 8);
    memcpy(out + 16, &layout, 8);
    memcpy(out + 24, &length, 8);
    memcpy(out + 32, &sum, 8);
    memcpy(out + TABLES_HEADER, tag.buf, tag.len);
    PyBuffer_Release(&tag);
    return bytes;
}

/* Whether a Core read by walk_core holds only what the decoder can follow: every row index within
 * the weights, every slot, base, lexicon and code point in range, every probe run ending (an empty
 * slot in each table). Sets the error where not (0) */
static int tables_valid(Core *c) {
    const char *problem = NULL;
#define CHECK(cond, what) do { if (!problem && !(cond)) problem = (what); } while (0)
    int longest = 0;
    for (int l = 0; l < c->n_lexicons; l++) {
        CHECK(c->lexicon_length[l] >= 2 && c->lexicon_length[l] <= MAX_LENGTH, "a lexicon's length");
        if (c->lexicon_length[l] > longest) longest = c->lexicon_length[l];
    }
    CHECK(c->longest_word == longest, "the longest word");
    CHECK(c->pieces.flag_bits == 2 * (c->n_lexicons ? c->n_lexicons : 1), "the pieces' flags");
    for (Py_ssize_t i = 0; i < 0x10000; i++) CHECK(c->fold_bmp[i] < BOS, "a folded code point");
    for (Py_ssize_t i = 0; i < c->n_fold_hi; i++) CHECK(c->fold_hi_values[i] >= 0 && c->fold_hi_values[i] < BOS, "a folded code point");
    CHECK(c->pair_base < c->n_bases, "the pair base");
    if (!problem && c->pair_base >= 0) {
        const Base *p = &c->bases[c->pair_base];
        CHECK(p->kind == K_PAIR && p->param == 1 && p->domain == 0 && c->pair_shift >= p->n_slots &&
              c->pair_shift + 2 * c->n_lexicons <= 32 && p->row_bits == (1u << c->pair_shift) - 1, "the pair base");
    }
    for (int b = 0; b < c->n_bases && !problem; b++) {
        const Base *base = &c->bases[b];
        CHECK(base_in_range(c, base), "a base");
        CHECK(b == c->pair_base || base->row_bits == 0xFFFFFFFFu, "a base's row bits");
        if (base->domain > 0) continue;
        /* the flags above a pair base's slots stop at its lexicons' */
        const uint32_t beyond = b == c->pair_base && c->pair_shift + 2 * c->n_lexicons < 32
                                ? ~0u << (c->pair_shift + 2 * c->n_lexicons) : 0;
        Py_ssize_t empty = 0;
        for (uint64_t i = 0; i <= base->hash.mask; i++) {
            const RecordSlot *s = &base->hash.slots[i];
            if (s->key == -1) { empty++; continue; }
            const uint32_t mask = RECORD_MASK(s->value);
            CHECK((uint64_t)RECORD_ROW(s->value) + __builtin_popcount(mask & base->row_bits) <= (uint64_t)c->n_rows &&
                  !(mask & beyond), "a record");
        }
        CHECK(empty > 0, "a full table");
    }
    for (int j = 0; j < c->n_templates; j++) {
        const Template *t = &c->templates[j];
        CHECK(template_in_range(c, t), "a template");
        if (problem) break;
        const Base *base = &c->bases[t->base];
        CHECK(base->domain == 0 || t->slot < base->n_slots, "a template's slot");
        CHECK(t->base != c->pair_base || t->slot < c->pair_shift, "a template's slot");
    }
    Py_ssize_t empty = 0;
    for (uint64_t i = 0; i <= c->pieces.mask; i++) empty += !c->pieces.slots[i];
    CHECK(empty > 0, "a full table");
    for (int len = 0; len <= MAX_LENGTH && c->has_variety; len++) {
        if (!c->variety.has[len]) continue;
        empty = 0;
        for (uint64_t i = 0; i <= c->variety.index[len].mask; i++) empty += c->variety.index[len].slots[i].key == -1;
        CHECK(empty > 0, "a full table");
    }
#undef CHECK
    if (problem) PyErr_Format(PyExc_ValueError, "%s out of range", problem);
    return !problem;
}

static PyObject *core_memory(Core *self, void *closure) { return PyLong_FromSsize_t(tables_memory(self)); }

static PyObject *core_pairs_in_records(Core *self, void *closure) { return PyBool_FromLong(self->pair_base >= 0); }

static PyMethodDef core_methods[] = {
    {"segment", (PyCFunction)core_segment, METH_VARARGS,
     "segment(lines, units=None, words=None, cuts=None, rules=False) -> per line, its words' (start, end) offsets as int32 bytes"},
    {"words", (PyCFunction)core_words, METH_VARARGS,
     "words(lines, units=None, words=None, sep=None, utf8=False, rules=False) -> per line its words, or with sep the lines as text (utf8: as UTF-8 bytes)"},
    {"text_from_utf8", (PyCFunction)core_text_from_utf8, METH_VARARGS,
     "text_from_utf8(data, sep, bom=False, rules=False) -> (text, places, spans): the lines of UTF-8 data as text, "
     "UTF-8, but the lines that may hold grapheme clusters (where each belongs in text, its bytes' start and end: "
     "int64), or None where not UTF-8"},
    {"tables", (PyCFunction)core_tables, METH_VARARGS,
     "tables(tag) -> these tables as bytes, which load_tables(data, tag) takes back without building them"},
    {NULL},
};

static PyGetSetDef core_getset[] = {
    {"memory", (getter)core_memory, NULL, "bytes held by the tables", NULL},
    {"pairs_in_records", (getter)core_pairs_in_records, NULL,
     "whether the 2-character lexicon pieces are held in the adjacent-pair base's records", NULL},
    {NULL},
};

static PyTypeObject CoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "zhseg._core.Core",
    .tp_doc = "A model's decoding tables (model/core.py builds the spec); segment() and words() decode lines.",
    .tp_basicsize = sizeof(Core),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)core_init,
    .tp_dealloc = (destructor)core_dealloc,
    .tp_methods = core_methods,
    .tp_getset = core_getset,
};

/* load_tables(data, tag, release=0) -> a Core from Core.tables()'s bytes; None where they are of
 * another layout or byte order, or their tag is not tag (tables of another model, standard or
 * option); ValueError where they are damaged. release: data is a read-only shared mapping of the
 * file (mmap's ACCESS_READ), whose pages are dropped from memory as they are read */
static PyObject *core_load_tables(PyObject *module, PyObject *args) {
    Py_buffer data, tag;
    int release_pages = 0;
    if (!PyArg_ParseTuple(args, "y*y*|p", &data, &tag, &release_pages)) return NULL;
    PyObject *result = NULL;
    const char *p = data.buf;
    Release release = {.base = p};
#if defined(__linux__) && defined(MADV_DONTNEED)
    const long page = sysconf(_SC_PAGESIZE);
    if (release_pages && page > 0 && !(page & (page - 1)) && !((uintptr_t)p & (uintptr_t)(page - 1)))
        release.page = (size_t)page;
#endif
    uint64_t order = 0, layout = 0, length = 0, sum = 0;
    if (data.len >= TABLES_HEADER) {
        memcpy(&order, p + 8, 8);
        memcpy(&layout, p + 16, 8);
        memcpy(&length, p + 24, 8);
        memcpy(&sum, p + 32, 8);
    }
    const size_t tag_len = layout >> 32, head = TABLES_HEADER + padded8(tag_len);
    if (data.len < TABLES_HEADER || memcmp(p, TABLES_MAGIC, 8) || order != BYTE_ORDER_MARK ||
        (uint32_t)layout != TABLES_LAYOUT || tag_len != (size_t)tag.len || (size_t)data.len < head ||
        memcmp(p + TABLES_HEADER, tag.buf, tag_len)) {
        Py_INCREF(Py_None);
        result = Py_None;
    } else if (length != (size_t)data.len - head || length % 8) {
        PyErr_Format(PyExc_ValueError, "%zd bytes where the header says %llu: truncated or changed", data.len - (Py_ssize_t)head,
                     (unsigned long long)length);
    } else if (tables_checksum(p + head, length, &release) != sum) {
        PyErr_SetString(PyExc_ValueError, "their checksum differs from the one written with them: changed");
    } else {
        Core *c = (Core *)CoreType.tp_alloc(&CoreType, 0);
        if (c) {
            release.done = 0; /* the checksum dropped them; read again, they come back from the page cache */
            Walk w = {.reading = 1, .in = p + head, .n = length, .release = &release};
            walk_core(c, &w);
            if (w.oom) PyErr_NoMemory();
            else if (w.bad || w.at != w.n) PyErr_SetString(PyExc_ValueError, "a field out of range, or bytes left over");
            else if (tables_valid(c)) {
                result = (PyObject *)c;
                c = NULL;
            }
            Py_XDECREF(c);
        }
    }
    PyBuffer_Release(&data);
    PyBuffer_Release(&tag);
    return result;
}

/* rule_spans(text) -> [(start, end), ...]: the rules' matches of two or more characters, in order */
static PyObject *core_rule_spans(PyObject *module, PyObject *arg) {
    if (!PyUnicode_Check(arg)) { PyErr_Format(PyExc_TypeError, "expected a str, got %s", Py_TYPE(arg)->tp_name); return NULL; }
    Text t = {PyUnicode_KIND(arg), PyUnicode_DATA(arg), PyUnicode_GET_LENGTH(arg)};
    /* the scan without the GIL (threads decoding other batches go on), the spans kept as pairs */
    Spans found = {0};
    int failed;
    Py_BEGIN_ALLOW_THREADS
    failed = find_rules(&t, 0, &found) < 0;
    Py_END_ALLOW_THREADS
    PyObject *spans = failed ? PyErr_NoMemory() : PyList_New(found.n);
    for (Py_ssize_t i = 0; spans && i < found.n; i++) {
        PyObject *span = PyTuple_New(2), *start = PyLong_FromLongLong(found.pairs[2 * i]),
                 *end = PyLong_FromLongLong(found.pairs[2 * i + 1]);
        if (!span || !start || !end) { Py_XDECREF(span); Py_XDECREF(start); Py_XDECREF(end); Py_CLEAR(spans); break; }
        PyTuple_SET_ITEM(span, 0, start); /* not Py_BuildValue: its format parsed per span took a third of the call */
        PyTuple_SET_ITEM(span, 1, end);
        PyList_SET_ITEM(spans, i, span);
    }
    free(found.pairs);
    return spans;
}

/* grapheme_candidate(text, start) -> the first position at or after start whose character is not
 * in PLAIN_RUNS (it may belong to a cluster of two or more), or -1 */
static PyObject *core_grapheme_candidate(PyObject *module, PyObject *args) {
    PyObject *text;
    Py_ssize_t start;
    if (!PyArg_ParseTuple(args, "Un", &text, &start)) return NULL;
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    Py_ssize_t i = start < 0 ? 0 : start;
    Py_BEGIN_ALLOW_THREADS
    switch (kind) { /* the width outside the loop */
    case PyUnicode_1BYTE_KIND: while (i < n && is_plain(((const Py_UCS1 *)data)[i])) i++; break;
    case PyUnicode_2BYTE_KIND: while (i < n && is_plain(((const Py_UCS2 *)data)[i])) i++; break;
    default: while (i < n && is_plain(((const Py_UCS4 *)data)[i])) i++; break;
    }
    Py_END_ALLOW_THREADS
    return PyLong_FromSsize_t(i < n ? i : -1);
}

static PyMethodDef module_methods[] = {
    {"rule_spans", core_rule_spans, METH_O,
     "rule_spans(text) -> the (start, end) spans of model/constraints.py's RULES matches of two or more characters"},
    {"load_tables", core_load_tables, METH_VARARGS,
     "load_tables(data, tag, release=False) -> a Core from Core.tables(tag)'s bytes, or None where they are of another "
     "layout or tag; ValueError where damaged. release: data is a read-only mmap of the file, its pages dropped from memory "
     "as they are read"},
    {"grapheme_candidate", core_grapheme_candidate, METH_VARARGS,
     "grapheme_candidate(text, start) -> the first position at or after start that may be in a grapheme cluster of "
     "two or more code points (not whitespace, not a code point known to be of break class Other), or -1"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT, "zhseg._core", "zhseg's compiled core: characters to words (model/core.py).", -1, module_methods,
};

PyMODINIT_FUNC PyInit__core(void) {
    if (PyType_Ready(&CoreType) < 0) return NULL;
    make_plain_bmp();
    PyObject *m = PyModule_Create(&core_module);
    if (!m) return NULL;
    Py_INCREF(&CoreType);
    if (PyModule_AddObject(m, "Core", (PyObject *)&CoreType) < 0) {
        Py_DECREF(&CoreType);
        Py_DECREF(m);
        return NULL;
    }
    PyModule_AddIntConstant(m, "ABI", 1);
    PyModule_AddIntConstant(m, "BLOCK", BLOCK); /* for tests of lines around a window's size */
    return m;
}
