#!/bin/sh
# Makes NotoSansSC-subset.otf, the face of the progress chart, from Debian's Noto Sans CJK:
# every character of GB2312 (both levels: nearly every enterprise name), ASCII, and the
# words the chart prints. Run it once after changing the character list; the result is
# committed, so building innobot needs neither the package nor Python.
#   apt-get install -y fonts-noto-cjk python3-fonttools
set -eu
cd "$(dirname "$0")"
chars=$(mktemp)
trap 'rm -f "$chars"' EXIT
/usr/bin/python3 - "$chars" <<'PY'
import sys
chars = set(chr(c) for c in range(0x20, 0x7f))
# GB2312: symbol rows A1-A9, hanzi rows B0-F7 (level 1 to D7, level 2 after).
for hi in list(range(0xA1, 0xAA)) + list(range(0xB0, 0xF8)):
    for lo in range(0xA1, 0xFF):
        try:
            chars.add(bytes([hi, lo]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
chars.update("盐湖区永济市河津市临猗县万荣县稷山县新绛县闻喜县绛县垣曲县夏县平陆县芮城县运城开发区"
             "运城市已填报未填报开展率截至合计全市进度（）《》“”、，。：；！？—…·%％")
open(sys.argv[1], "w").write("".join(sorted(chars)))
PY
# Font number 2 of the collection is Noto Sans CJK SC. Hinting and layout tables are
# dropped: the chart draws unhinted outlines and lays out one glyph per character.
/usr/bin/python3 -m fontTools.subset /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc \
	--font-number=2 --text-file="$chars" --output-file=NotoSansSC-subset.otf \
	--no-hinting --layout-features='' --name-IDs='*' \
	--drop-tables+=GSUB,GPOS,GDEF,BASE,VORG,vhea,vmtx
