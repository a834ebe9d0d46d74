#!/usr/bin/env bash
# End-to-end check of the package a user installs: `npm pack` this checkout, install the
# tarball into a throwaway prefix (no tsx, no source tree, only the runtime dependencies
# from the registry), then drive the installed `ner-train` the way a user's shell script
# would: train → evaluate → predict → gradcheck, reading results from --json and exit codes.
#
#   bash scripts/e2e.sh       (CI runs it after `npm test`; 20–40 s)
#
# Exits 0 when every check passed, 1 at the first failure (with the command's stderr).
# Nothing global is touched; the temporary folders are removed on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/ner-train-e2e.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
started=$SECONDS
checks=0

fail() {
  echo "e2e: FAILED: $*" >&2
  if [[ -s "$work/stderr" ]]; then
    echo "--- stderr of the last command:" >&2
    tail -n 20 "$work/stderr" >&2
  fi
  exit 1
}
ok() {
  checks=$((checks + 1))
  echo "ok  $*"
}
# The value at a dotted path of a JSON file, printed as JSON (strings without quotes): jq is not assumed.
json() {
  node -e '
    let v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const key of process.argv[2].split(".").filter(Boolean)) v = v == null ? undefined : v[key];
    if (v === undefined) process.exit(3);
    process.stdout.write(typeof v === "string" ? v : JSON.stringify(v));
  ' "$1" "${2:-}"
}

# --- pack and install -------------------------------------------------------------------
(cd "$root" && npm pack --pack-destination "$work" --silent >/dev/null 2>"$work/stderr") || fail "npm pack"
tarball=$(ls "$work"/ner-train-*.tgz)
version=$(json "$root/package.json" version)
ok "npm pack: $(basename "$tarball"), $(($(wc -c <"$tarball") / 1024)) KiB"

prefix="$work/prefix"
npm install --global --prefix "$prefix" --no-audit --no-fund --prefer-offline "$tarball" >/dev/null 2>"$work/stderr" || fail "npm install -g $tarball"
pkg="$prefix/lib/node_modules/ner-train"
export PATH="$prefix/bin:$PATH"
[[ $(command -v ner-train) == "$prefix/bin/ner-train" ]] || fail "ner-train is not the installed one: $(command -v ner-train)"
ok "npm install -g into a temporary prefix"

# What was installed: the package's files and its runtime dependencies, nothing else.
[[ ! -e "$pkg/src" && ! -e "$pkg/test" && ! -e "$pkg/node_modules/tsx" && ! -e "$pkg/node_modules/esbuild" ]] ||
  fail "the installed package holds sources or development tools: $(ls "$pkg" "$pkg/node_modules")"
node -e '
  const fs = require("fs"), path = require("path");
  const pkg = process.argv[1];
  const deps = new Set(Object.keys(JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8")).dependencies));
  const files = [];
  const walk = (dir) => { for (const e of fs.readdirSync(dir, { withFileTypes: true })) e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".js") && files.push(path.join(dir, e.name)); };
  walk(path.join(pkg, "dist"));
  const bad = [];
  for (const file of files) {
    const text = fs.readFileSync(file, "utf8");
    const specs = [
      ...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*["\x27]([^"\x27\n]+)["\x27]/gm),
      ...text.matchAll(/^import\s*["\x27]([^"\x27\n]+)["\x27]/gm),
      ...text.matchAll(/\bimport\(\s*["\x27]([^"\x27\n]+)["\x27]\s*\)/g),
    ].map((m) => m[1]);
    if (file.endsWith("cli.js") && specs.length === 0) bad.push("found no imports in dist/cli.js: the check is broken");
    for (const spec of specs) {
      if (spec.startsWith(".") || spec.startsWith("node:")) continue;
      const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
      if (!deps.has(name)) bad.push(`${path.relative(pkg, file)} imports ${spec}`);
    }
  }
  if (bad.length > 0) { console.error(bad.join("\n")); process.exit(1); }
' "$pkg" 2>"$work/stderr" || fail "the bundle imports a package that is not a runtime dependency"
ok "the bundle imports only node: modules and the runtime dependencies"

# The WebAssembly kernels are assembled into the bundle at build time: they must load from it.
node --input-type=module -e '
  import { readdirSync, readFileSync } from "node:fs";
  import { pathToFileURL } from "node:url";
  const dir = `${process.argv[1]}/dist/chunks`;
  const chunk = readdirSync(dir).find((f) => f.endsWith(".js") && /^export \{[^}]*\bactiveKernels\b/m.test(readFileSync(`${dir}/${f}`, "utf8")));
  if (!chunk) { console.error("no chunk of the bundle exports activeKernels"); process.exit(1); }
  const { activeKernels } = await import(pathToFileURL(`${dir}/${chunk}`).href);
  if (activeKernels() === null) { console.error("the WebAssembly kernels did not load from the installed bundle"); process.exit(1); }
' "$pkg" 2>"$work/stderr" || fail "wasm kernels"
ok "the WebAssembly kernels load from the installed bundle"

# From here on, a user's folder that is not the checkout.
mkdir "$work/user"
cd "$work/user"
export NO_COLOR=1
export NER_TRAIN_CACHE_DIR="$work/cache"

[[ $(ner-train --version) == "$version" ]] || fail "ner-train --version is not $version"
ner-train --help >"$work/help" 2>"$work/stderr" || fail "ner-train --help"
grep -q "Exit codes" "$work/help" || fail "ner-train --help does not document the exit codes"
ok "ner-train --version ($version) and --help"

# --- train ------------------------------------------------------------------------------
ner-train train --config "$pkg/configs/default.yaml" --out run --set training.epochs=2 --json >train.json 2>"$work/stderr" ||
  fail "train exited $?"
out_dir=$(json train.json out_dir)
best_epoch=$(json train.json best_epoch)
train_f1=$(json train.json best.f1)
[[ $(json train.json interrupted) == false && $(json train.json epochs | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).length)') == 2 ]] ||
  fail "train --json: expected 2 epochs, not interrupted"
[[ -f "$out_dir/model-best/model.safetensors" && -f "$out_dir/model-last/meta.json" && -f "$out_dir/metrics.jsonl" ]] ||
  fail "train: $out_dir lacks model-best/, model-last/ or metrics.jsonl"
ok "train --json: best epoch $best_epoch, dev F1 $train_f1, run in $out_dir"

# --- evaluate ---------------------------------------------------------------------------
ner-train evaluate --checkpoint "$out_dir/model-best" --data "$pkg/data/dev.txt" --json >eval.json 2>"$work/stderr" || fail "evaluate exited $?"
f1=$(json eval.json f1)
node -e 'const [f1, train] = process.argv.slice(1).map(Number); process.exit(f1 > 0.8 && f1 === train ? 0 : 1)' "$f1" "$train_f1" ||
  fail "evaluate --json: F1 $f1 (want > 0.8 and equal to train's best $train_f1)"
ok "evaluate --json: F1 $f1 on $(json eval.json sentences) dev sentences, the same as training's best"

# --- predict ----------------------------------------------------------------------------
printf 'Messarko Dirzolov flew to Ostrava on Monday .\nBank of Ostrava said so .\n' |
  ner-train predict --checkpoint "$out_dir/model-best" >predicted.txt 2>"$work/stderr" || fail "predict exited $?"
node -e '
  const blocks = require("fs").readFileSync(process.argv[1], "utf8").split("\n\n").filter((b) => b.trim() !== "");
  const ok = blocks.length === 2 && blocks[0].split("\n").length === 8 && blocks[1].split("\n").length === 6 &&
    blocks.every((b) => b.split("\n").every((line) => /^\S+ (O|[BIES]-\S+)$/.test(line)));
  process.exit(ok ? 0 : 1);
' predicted.txt || fail "predict: expected 2 sentences of 8 and 6 \`token TAG\` lines, got: $(head -c 400 predicted.txt)"
ok "predict: 2 sentences, one \`token TAG\` line per token"

printf 'Messarko Dirzolov flew to Ostrava .\n' | ner-train predict -m "$out_dir/model-best" --json >predicted.jsonl 2>"$work/stderr" || fail "predict --json exited $?"
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const s = lines[0];
  process.exit(lines.length === 1 && s.tokens.length === 6 && s.tags.length === 6 && Array.isArray(s.entities) ? 0 : 1);
' predicted.jsonl || fail "predict --json: expected one {tokens, tags, entities} line, got: $(cat predicted.jsonl)"
ok "predict --json: one {tokens, tags, entities} object per sentence"

# A reader that stops early: predict must stop quietly (exit 0, nothing on stderr) and soon.
set +o pipefail
head_start=$SECONDS
yes 'Ostrava beat Kevish 2 - 1 on Monday .' | ner-train predict -m "$out_dir/model-best" 2>"$work/stderr" | head -n 3 >head.txt
status=${PIPESTATUS[1]}
set -o pipefail
[[ $status -eq 0 ]] || fail "predict | head -n 3: predict exited $status"
[[ ! -s "$work/stderr" ]] || fail "predict | head -n 3: predict wrote to stderr"
[[ $(wc -l <head.txt) -eq 3 ]] || fail "predict | head -n 3: $(wc -l <head.txt) lines"
((SECONDS - head_start < 30)) || fail "predict | head -n 3 took $((SECONDS - head_start)) s on an endless input"
ok "yes … | predict | head -n 3: exit 0, quiet, stops on an endless input"

# --- gradcheck --------------------------------------------------------------------------
ner-train gradcheck --json >gradcheck.json 2>"$work/stderr" || fail "gradcheck exited $?"
[[ $(json gradcheck.json passed) == true ]] || fail "gradcheck --json: not passed"
ok "gradcheck --json: passed, max relative error $(json gradcheck.json max_rel_error) over $(json gradcheck.json checks | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).length)') checks"

# --- mistakes ---------------------------------------------------------------------------
expect_usage_error() {
  local status=0
  "$@" >"$work/stdout" 2>"$work/stderr" || status=$?
  [[ $status -eq 2 ]] || fail "\`$*\` exited $status, expected 2"
  [[ ! -s "$work/stdout" ]] || fail "\`$*\` wrote to stdout: $(head -c 200 "$work/stdout")"
  grep -q '^ner-train: \|^error: ' "$work/stderr" || fail "\`$*\`: no one-line message on stderr"
  ! grep -qE '^\s+at .+:[0-9]+:[0-9]+\)?$' "$work/stderr" || fail "\`$*\` printed a stack trace"
}
expect_usage_error ner-train evaluate --checkpoint nowhere --data "$pkg/data/dev.txt" --json
expect_usage_error ner-train train --config "$pkg/configs/default.yaml" --set model.activation=tahn --json
expect_usage_error ner-train predict --format xml
expect_usage_error ner-train trian
ok "bad invocations: exit 2, a message on stderr, nothing on stdout"
: >"$work/stderr"

echo "e2e: all $checks checks passed in $((SECONDS - started)) s (ner-train $version installed from $(basename "$tarball"))"
