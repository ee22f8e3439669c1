#!/usr/bin/env bash
# Creates bench/text/.venv with the reference implementations medeval-text is checked against.
# Needs Python 3.9+ and Java (8+) for the Stanford tokenizer and METEOR jars pycocoevalcap ships.
set -euo pipefail
cd "$(dirname "$0")"
if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check \
  pycocoevalcap==1.2 sacrebleu==2.6.0 rouge-score==0.1.2 nltk==3.10.4
