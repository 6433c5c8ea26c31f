#!/bin/sh
# sdk_test.sh -- the plugin author's whole path, as CI runs it:
#   1. stage `meson install` of this build into a temporary prefix;
#   2. build examples/plugin-template out of tree with only pkg-config;
#   3. `rnnlab plugins check` passes on it (through the template's own test);
#   4. load it through RNNLAB_PLUGIN_PATH and train a tiny model with it;
#   5. a plugin with a sign error in backward fails the check, naming the
#      broken contract.
# Usage: sdk_test.sh SOURCE_ROOT BUILD_ROOT
set -eu
src=$1
build=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlab-sdk-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
fail() { echo "sdk_test: FAIL: $*" >&2; exit 1; }

# 1. Stage the install. The staged binary's compiled-in plugin folder is the
# real prefix's, so the staged plugins are passed with RNNLAB_PLUGIN_PATH.
meson install -C "$build" --no-rebuild --quiet --destdir "$tmp/stage" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; fail "meson install --destdir failed"; }
pc=$(find "$tmp/stage" -name rnnlab-plugin.pc | head -n 1)
[ -n "$pc" ] || fail "no rnnlab-plugin.pc was installed"
bin=$(find "$tmp/stage" -path '*/bin/rnnlab' -type f | head -n 1)
[ -x "$bin" ] || fail "no rnnlab binary was installed"
header=$(find "$tmp/stage" -path '*/include/rnnlab/plugin.h' | head -n 1)
[ -f "$header" ] || fail "include/rnnlab/plugin.h was not installed"
export PKG_CONFIG_PATH="$(dirname "$pc")"
export PATH="$(dirname "$bin"):$PATH"
plugindir=$(pkg-config --variable=plugindir rnnlab-plugin)
[ -f "$plugindir/tanh.so" ] || fail "plugindir '$plugindir' (from the .pc file) has no tanh.so"
cflags=$(pkg-config --cflags rnnlab-plugin)
[ -z "$(pkg-config --libs rnnlab-plugin)" ] || fail "rnnlab-plugin.pc has Libs; plugins link nothing"

# 2. The template, copied out of the source tree and built with pkg-config.
cp -r "$src/examples/plugin-template" "$tmp/template"
(cd "$tmp/template" && meson setup build >"$tmp/setup.log" 2>&1) ||
    { cat "$tmp/setup.log" >&2; fail "meson setup of the template failed"; }
ninja -C "$tmp/template/build" >"$tmp/ninja.log" 2>&1 ||
    { cat "$tmp/ninja.log" >&2; fail "building the template failed"; }
so="$tmp/template/build/my_leaky_relu.so"

# 3. Its own test is `rnnlab plugins check` with the staged binary.
meson test -C "$tmp/template/build" --no-rebuild >"$tmp/test.log" 2>&1 ||
    { cat "$tmp/test.log" "$tmp/template/build/meson-logs/testlog.txt" >&2; fail "the template's check failed"; }
rnnlab plugins check "$so" >"$tmp/check.log" || { cat "$tmp/check.log" >&2; fail "plugins check failed"; }
grep -q "0 failed" "$tmp/check.log" || fail "no clean summary in: $(cat "$tmp/check.log")"

# 4. Loaded through RNNLAB_PLUGIN_PATH, used in a training config.
export RNNLAB_PLUGIN_PATH="$plugindir:$tmp/template/build"
rnnlab plugins describe my_leaky_relu | grep -q alpha || fail "plugins describe shows no alpha"
cat >"$tmp/tiny.ini" <<'INI'
[data]
name = synthetic
task = adding
length = 8
train_size = 64
dev_size = 16
test_size = 16
batch_size = 16

[model]
activation = my_leaky_relu
hidden_size = 8

[activation]
alpha = 0.1

[loss]
name = mse

[optimizer]
name = adam
lr = 0.01

[train]
epochs = 2
log_every = 1
INI
rnnlab train "$tmp/tiny.ini" --run-dir "$tmp/run" --quiet >"$tmp/train.log" 2>&1 ||
    { cat "$tmp/train.log" >&2; fail "training with my_leaky_relu failed"; }
[ -s "$tmp/run/metrics.csv" ] || fail "the run wrote no metrics.csv"
grep -q "my_leaky_relu" "$tmp/run/config.ini" || fail "the run's config does not name my_leaky_relu"
grep -q "alpha = 0.1" "$tmp/run/config.ini" || fail "the run's config lost [activation] alpha"

# 5. The same plugin with a sign error in backward must fail the check.
sed -e 's/dx\[i\] = x\[i\] > 0.0 ? dy\[i\] : alpha \* dy\[i\]/dx[i] = x[i] > 0.0 ? -dy[i] : alpha * dy[i]/' \
    "$tmp/template/my_leaky_relu.c" >"$tmp/sign_error.c"
cmp -s "$tmp/template/my_leaky_relu.c" "$tmp/sign_error.c" && fail "could not inject the sign error"
cc -std=c11 -shared -fPIC -fvisibility=hidden $cflags -o "$tmp/sign_error.so" "$tmp/sign_error.c" ||
    fail "compiling the broken plugin with pkg-config's flags failed"
if rnnlab plugins check "$tmp/sign_error.so" >"$tmp/bad.log"; then
    cat "$tmp/bad.log" >&2
    fail "plugins check passed a plugin with a sign error"
fi
grep -q "FAIL activation my_leaky_relu: backward_f64 vs central differences.*breaks \"backward_f64 returns f'(x) \* dy\"" "$tmp/bad.log" ||
    { cat "$tmp/bad.log" >&2; fail "the failure does not name the derivative contract"; }
echo "sdk_test: ok"
