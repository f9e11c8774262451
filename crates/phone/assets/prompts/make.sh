#!/usr/bin/env bash
# Voice-menu prompts of the phone dial-in (conference rooms), synthesized
# from text.
#
# Produces: crates/phone/assets/prompts/<lang>/<key>.wav for every row of
#   prompts.tsv (columns key, lang, text; UTF-8; see its header comment).
#   Format: WAV, 8000 Hz, mono, signed 16-bit little-endian PCM, peak
#   normalized to -3 dBFS, 100 ms silence before and 200 ms after the speech
#   (the synthesizer's own leading/trailing silence is trimmed first).
#   A text may switch language in the middle with {en} / {de}: each part is
#   spoken by that language's voice and the parts are joined with a short
#   pause (used by "welcome" for the "For English, press star" sentence).
#   Output is repeatable: same inputs and tools give byte-identical files.
#   WAV files in the language folders that prompts.tsv no longer lists are
#   removed.
#
# Prerequisites (Debian/Ubuntu):
#   apt-get install espeak-ng sox
#   The default voices are espeak-ng's own (free, like the project). The
#   MBROLA voices sound more natural but their data is non-free (Debian
#   "non-free"; no use in products sold without the authors' permission),
#   so they are not the default:
#     apt-get install mbrola mbrola-de7 mbrola-us1   (contrib/non-free)
#     VOICE_DE=mb-de7 VOICE_EN=mb-us1 bash .../make.sh
#
# Run (from the repository root or anywhere):
#   bash crates/phone/assets/prompts/make.sh
#
# Settings (environment variables, defaults in brackets):
#   VOICE_DE [de+f3]   espeak-ng voice for German (female variant)
#   VOICE_EN [en-us+f3] espeak-ng voice for English (female variant, US)
#   RATE_DE  [160]     German speaking rate, words per minute
#   RATE_EN  [160]     English speaking rate, words per minute
#   GAP      [0.35]    pause in seconds where a text switches language
#
# To change a text: edit prompts.tsv and rerun this script.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tsv="$here/prompts.tsv"

VOICE_DE="${VOICE_DE:-de+f3}"
VOICE_EN="${VOICE_EN:-en-us+f3}"
RATE_DE="${RATE_DE:-160}"
RATE_EN="${RATE_EN:-160}"
GAP="${GAP:-0.35}"

die() { echo "make.sh: $*" >&2; exit 1; }

voice_for() {
    case "$1" in
        de) echo "$VOICE_DE" ;;
        en) echo "$VOICE_EN" ;;
        *) die "no voice for language '$1' (add it to voice_for and rate_for)" ;;
    esac
}

rate_for() {
    case "$1" in
        de) echo "$RATE_DE" ;;
        en) echo "$RATE_EN" ;;
        *) die "no rate for language '$1'" ;;
    esac
}

for cmd in espeak-ng sox soxi; do
    command -v "$cmd" >/dev/null || die "$cmd not found: apt-get install espeak-ng sox"
done
[[ -f "$tsv" ]] || die "$tsv not found"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Fail early (with espeak-ng's message) if a voice is missing, e.g. an MBROLA
# voice whose package is not installed.
for lang in de en; do
    v="$(voice_for "$lang")"
    if ! espeak-ng -v "$v" -w "$tmp/check.wav" "test" 2>"$tmp/check.err"; then
        cat "$tmp/check.err" >&2
        die "voice '$v' for '$lang' does not work (MBROLA voices: apt-get install mbrola mbrola-${v#mb-})"
    fi
done

# One part of a text, spoken by one voice -> 8 kHz mono 16-bit, with the
# synthesizer's silence at both ends cut off (below -50 dBFS) and a 5 ms fade
# at each cut so it cannot click.
synth_part() { # lang text out
    local voice rate
    voice="$(voice_for "$1")"
    rate="$(rate_for "$1")"
    printf '%s' "$2" | espeak-ng -b 1 -v "$voice" -s "$rate" -w "$tmp/raw.wav" --stdin
    sox -D "$tmp/raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$3" \
        silence 1 0.01 -50d fade h 0.005 reverse \
        silence 1 0.01 -50d fade h 0.005 reverse rate -v 8000
}

trim() { local s="$1"; s="${s#"${s%%[![:space:]]*}"}"; printf '%s' "${s%"${s##*[![:space:]]}"}"; }

# Split a text at its {xx} language switches into part_langs/part_texts.
split_parts() { # lang text
    local cur="$1" rest="$2" part
    part_langs=()
    part_texts=()
    while [[ "$rest" =~ ^([^{]*)\{([a-z][a-z])\}(.*)$ ]]; do
        part="$(trim "${BASH_REMATCH[1]}")"
        if [[ -n "$part" ]]; then part_langs+=("$cur"); part_texts+=("$part"); fi
        cur="${BASH_REMATCH[2]}"
        rest="${BASH_REMATCH[3]}"
    done
    part="$(trim "$rest")"
    if [[ -n "$part" ]]; then part_langs+=("$cur"); part_texts+=("$part"); fi
}

# Read and check all of prompts.tsv before writing anything.
declare -A seen=()   # "lang/key" -> 1
declare -A keys=()   # key -> 1
declare -A langs=()  # lang -> 1
row_keys=()
row_langs=()
row_texts=()
line=0
while IFS= read -r row || [[ -n "$row" ]]; do
    line=$((line + 1))
    row="${row%$'\r'}"
    [[ -z "$row" || "$row" == \#* ]] && continue
    IFS=$'\t' read -r key lang text extra <<<"$row"
    [[ "$key" == key && "$lang" == lang ]] && continue   # header
    [[ -z "${extra:-}" ]] || die "prompts.tsv:$line: more than three columns"
    [[ "$key" =~ ^[a-z0-9_]+$ ]] || die "prompts.tsv:$line: bad key '$key'"
    [[ "$lang" =~ ^[a-z]{2}$ ]] || die "prompts.tsv:$line: bad language '$lang'"
    [[ -z "${seen[$lang/$key]:-}" ]] || die "prompts.tsv:$line: $lang/$key listed twice"
    split_parts "$lang" "${text:-}"
    ((${#part_texts[@]} > 0)) || die "prompts.tsv:$line: empty text"
    for l in "${part_langs[@]}"; do
        voice_for "$l" >/dev/null
    done
    seen[$lang/$key]=1
    keys[$key]=1
    langs[$lang]=1
    row_keys+=("$key")
    row_langs+=("$lang")
    row_texts+=("$text")
done <"$tsv"

((${#row_keys[@]} > 0)) || die "prompts.tsv has no prompts"
for key in "${!keys[@]}"; do
    for lang in "${!langs[@]}"; do
        [[ -n "${seen[$lang/$key]:-}" ]] || die "prompts.tsv: '$key' has no '$lang' text"
    done
done

# Synthesize: each part with its language's voice, parts joined with a pause,
# then normalized and padded.
for i in "${!row_keys[@]}"; do
    key="${row_keys[$i]}"
    lang="${row_langs[$i]}"
    split_parts "$lang" "${row_texts[$i]}"
    parts=()
    for n in "${!part_texts[@]}"; do
        synth_part "${part_langs[$n]}" "${part_texts[$n]}" "$tmp/part$n.wav"
        if ((n > 0)); then
            sox -D "$tmp/part$n.wav" "$tmp/pad.wav" pad "$GAP" 0
            mv "$tmp/pad.wav" "$tmp/part$n.wav"
        fi
        parts+=("$tmp/part$n.wav")
    done
    if ((${#parts[@]} > 1)); then
        sox -D "${parts[@]}" "$tmp/joined.wav"
    else
        mv "${parts[0]}" "$tmp/joined.wav"
    fi
    mkdir -p "$here/$lang"
    sox -D "$tmp/joined.wav" -r 8000 -c 1 -b 16 -e signed-integer -t wav "$here/$lang/$key.wav" \
        gain -n -3 pad 0.1 0.2
    rm -f "$tmp"/part*.wav "$tmp/joined.wav"
done

# Remove files of prompts that are no longer listed.
for f in "$here"/[a-z][a-z]/*.wav; do
    [[ -e "$f" ]] || continue
    rel="${f#"$here"/}"
    if [[ -z "${seen[${rel%.wav}]:-}" ]]; then
        echo "removing $rel (not in prompts.tsv)"
        rm -f "$f"
    fi
done

# Summary.
total=0
for lang in $(printf '%s\n' "${!langs[@]}" | sort); do
    for f in "$here/$lang"/*.wav; do
        size=$(stat -c %s "$f")
        total=$((total + size))
        printf '%-24s %6.2f s %7d bytes  %s Hz %s ch %s bit\n' "$lang/$(basename "$f")" \
            "$(soxi -D "$f")" "$size" "$(soxi -r "$f")" "$(soxi -c "$f")" "$(soxi -b "$f")"
    done
done
echo "${#seen[@]} files, $total bytes in total (voices: de=$VOICE_DE en=$VOICE_EN, $RATE_DE/$RATE_EN wpm)"
