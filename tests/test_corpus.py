import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhseg.features.corpus import read_corpus, split_words
from zhseg.errors import UserError
from tests.conftest import NEWS_SEED, WEB_SEED


def write(tmp_path, data: bytes, name="corpus.txt"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_news_seed_is_one_long_tab_separated_line():
    sentences = read_corpus(NEWS_SEED)
    assert len(sentences) == 1
    assert sentences[0].words[:3] == ("阿里云", "总裁", "愿")
    assert len(sentences[0].words) > 1000 and len(sentences[0].text) > 1900


@pytest.mark.parametrize("separator", [" ", "\t", "  ", "\u3000"])
def test_whitespace_separators(tmp_path, separator):
    path = write(tmp_path, separator.join(["中国", "人民", "银行"]).encode() + b"\n")
    assert read_corpus(path)[0].words == ("中国", "人民", "银行")


def test_bom_crlf_blank_and_nbsp_lines(tmp_path):
    data = "\ufeff中国  人民\r\n\r\n\u00a0\u00a0\r\n银行\r\n".encode()
    sentences = read_corpus(write(tmp_path, data))
    assert [s.words for s in sentences] == [("中国", "人民"), ("银行",)]
    assert [s.line_no for s in sentences] == [1, 4]
    with_blanks = read_corpus(write(tmp_path, data), keep_blank=True)
    assert [s.line_no for s in with_blanks] == [1, 2, 3, 4]


def test_custom_separator_drops_empty_tokens_and_splits_whitespace():
    assert split_words("浙江@@省政府@@@@陈广胜@@", "@@") == ("浙江", "省政府", "陈广胜")
    assert split_words("乐动安卓app 网@@,", "@@") == ("乐动安卓app", "网", ",")


def test_web_seed_with_at_separator():
    sentences = read_corpus(WEB_SEED, sep="@@")
    words = [w for s in sentences for w in s.words]
    assert "云栖小镇举行" not in words and "陈广胜" in words
    assert all("@@" not in w and not any(c.isspace() for c in w) for w in words)


def test_conllu_form_column(tmp_path):
    data = "\n".join([
        "# sent_id = 1", "1\t中国\t_", "2-3\t人民银行\t_", "2\t人民\t_", "3\t银行\t_", "3.1\t空\t_", "",
        "# sent_id = 2", "1\t你好\t_", "",
    ]).encode()
    sentences = read_corpus(write(tmp_path, data), fmt="conllu")
    assert [s.words for s in sentences] == [("中国", "人民", "银行"), ("你好",)]
    assert sentences[0].line_no == 2


@pytest.mark.parametrize("encoding", ["gb18030", "big5"])
def test_legacy_encodings(tmp_path, encoding):
    path = write(tmp_path, "中國 人民\n".encode(encoding))
    assert read_corpus(path, encoding=encoding)[0].words == ("中國", "人民")


def test_undecodable_bytes_name_file_line_and_offset(tmp_path):
    path = write(tmp_path, "你好 世界\n".encode() + b"ab \xff cd\n")
    with pytest.raises(UserError, match=r"corpus.txt:2: cannot decode byte 0xff .*byte offset 17"):
        read_corpus(path)


def test_missing_file_and_empty_corpus(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        read_corpus(tmp_path / "absent.txt")
    with pytest.raises(UserError, match="no words"):
        read_corpus(write(tmp_path, b"\n \n\xc2\xa0\n"))
    with pytest.raises(UserError, match="unknown encoding"):
        read_corpus(write(tmp_path, b"x\n"), encoding="klingon")


@given(st.lists(st.text(alphabet="ab中\r\u3000 ", max_size=6), max_size=8), st.booleans(), st.booleans(),
       st.integers(min_value=1, max_value=12))
def test_blocks_of_any_size_give_the_same_lines(tmp_path_factory, lines, crlf, bom, block_bytes):
    from zhseg.textio import read_blocks

    lines = [line.rstrip("\r") for line in lines]
    end = "\r\n" if crlf else "\n"
    text = ("\ufeff" if bom else "") + "".join(line + end for line in lines)
    path = tmp_path_factory.mktemp("blocks") / "f.txt"
    path.write_bytes(text.encode("utf-8"))
    blocks = list(read_blocks(path, block_bytes=block_bytes))
    got = [(b.first_line + i, line) for b in blocks for i, line in enumerate(b.lines())]
    assert got == list(enumerate(lines, start=1))


def test_decode_error_line_is_right_in_a_later_block(tmp_path):
    from zhseg.textio import read_blocks

    path = write(tmp_path, "一\n二\n三\n".encode() + b"x\xffy\n")
    with pytest.raises(UserError, match=r"corpus.txt:4: cannot decode byte 0xff .*byte offset 13"):
        for block in read_blocks(path, block_bytes=5):
            block.lines()
