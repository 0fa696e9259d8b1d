# kharness: the commands users call. Every target installs what it needs first (`deps`).
#
#   make trace-mount   trace how Linux builds a mount namespace, and check it
#   make test          the whole test suite (unit and VM tests), plus the sanitizer build
#   make bench         performance figures, one `<name> <value> <unit>` per line
#   make matrix        every scenario on several kernels: KERNELS="--kernel-package linux-source-6.1 ..."
#
# Kernel choice for trace-mount: KERNEL_SOURCE=DIR, KERNEL_TARBALL=FILE or KERNEL_VERSION=X.Y.Z.

BUILD_DIR ?= build
ASAN_BUILD_DIR ?= build-asan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
CTEST_FLAGS ?=

.PHONY: all deps configure build build-kharness test test-unit test-vm test-sanitize fuzz bench trace-mount matrix format clean

all: build

deps:
	@tools/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_DIR) -DKH_WERROR=ON $(CMAKE_FLAGS)

configure: $(BUILD_DIR)/CMakeCache.txt

build: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Only what a run needs (the kharness program and the guest programs), not the test binaries.
build-kharness: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target kharness guest_programs

# Everything: all tests (unit and VM), the unit tests again under ASan+UBSan, a short fuzz run.
test: build
	cd $(BUILD_DIR) && ctest --output-on-failure $(CTEST_FLAGS)
	$(MAKE) --no-print-directory test-sanitize
	$(MAKE) --no-print-directory fuzz

test-unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L unit $(CTEST_FLAGS)

test-vm: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L vm $(CTEST_FLAGS)

# The unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
test-sanitize: deps
	cmake -S . -B $(ASAN_BUILD_DIR) -DKH_WERROR=ON -DKH_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD_DIR) -j $(JOBS)
	cd $(ASAN_BUILD_DIR) && ctest --output-on-failure -L unit $(CTEST_FLAGS)

# The MI parser under libFuzzer (clang) for FUZZ_SECONDS, seeded with the fixture transcripts.
FUZZ_SECONDS ?= 30
fuzz: deps
	tests/fuzz/run-fuzz.sh $(FUZZ_SECONDS)

# Figures only on stdout: everything cmake and make say goes to stderr.
bench:
	@$(MAKE) --no-print-directory deps configure >&2
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target bench_programs >&2
	@while read -r program args; do $$program $$args < /dev/null || exit 1; done < $(BUILD_DIR)/bench/programs.txt

# The kernel: KERNEL_SOURCE / KERNEL_TARBALL / KERNEL_VERSION, else a cached 4.19, else 4.19 from
# kernel.org, else Debian's linux-source-6.1 (kharness says so).
KERNEL_ARGS = $(if $(KERNEL_SOURCE),--kernel-source "$(KERNEL_SOURCE)") \
              $(if $(KERNEL_TARBALL),--kernel-tarball "$(KERNEL_TARBALL)") \
              $(if $(KERNEL_VERSION),--kernel-version "$(KERNEL_VERSION)")
RUN_FLAGS ?=

trace-mount: build-kharness
	$(BUILD_DIR)/kharness run scenarios/trace-mount.xml --prefer-kernel 4.19 $(KERNEL_ARGS) $(RUN_FLAGS)

# The scenarios (SCENARIOS, default all of scenarios/) on every kernel option in KERNELS, each one
# column; MATRIX_FLAGS for more (-j N, --golden DIR, --junit FILE, ...).
SCENARIOS ?= $(wildcard scenarios/*.xml)
KERNELS ?= --kernel-package linux-source-6.1 --kernel-package linux-source-6.12
MATRIX_FLAGS ?=
matrix: build-kharness
	$(BUILD_DIR)/kharness matrix $(SCENARIOS) $(KERNELS) $(MATRIX_FLAGS)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h' '*.c')

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR)
