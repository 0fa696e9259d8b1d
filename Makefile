# kharness: the commands users call. Every target first installs the Debian packages it needs
# (tools/install-deps.sh with the groups of tools/debian-packages.txt).
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

.PHONY: all deps deps-build deps-trace deps-test deps-extra configure build build-kharness test test-unit \
        test-vm test-sanitize fuzz lint bench trace-mount matrix format clean

all: build

# Package groups (tools/debian-packages.txt): build, run (VM, gdb, kernel builds), kernel (Debian's
# linux-source-6.1), test, kernels-extra (linux-source-6.12, from bookworm-security). A target
# needs only its groups: a Debian without bookworm-security still runs `make trace-mount`.
DEPS = tools/install-deps.sh
deps:
	@$(DEPS) build run kernel test --optional kernels-extra
deps-build:
	@$(DEPS) build
deps-trace:
	@$(DEPS) build run kernel
deps-test:
	@$(DEPS) build run kernel test
deps-extra:
	@$(DEPS) kernels-extra

# Ninja: unlike make, it compiles a library's files while the libraries below it still link,
# which keeps both cores busy (kharness target from nothing: 112 s against 129 s here). A build
# folder configured earlier keeps its generator.
CMAKE_GENERATOR ?= Ninja
$(BUILD_DIR)/CMakeCache.txt: | deps-build
	cmake -G "$(CMAKE_GENERATOR)" -S . -B $(BUILD_DIR) -DKH_WERROR=ON $(CMAKE_FLAGS)

configure: $(BUILD_DIR)/CMakeCache.txt

build: deps-build configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Only what a run needs (the kharness program and the guest programs), not the test binaries.
build-kharness: deps-build configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target kharness guest_programs

# Everything: all tests (unit and VM), the unit tests again under ASan+UBSan, a short fuzz run.
test: deps-test deps-extra build
	$(MAKE) --no-print-directory lint
	cd $(BUILD_DIR) && ctest --output-on-failure $(CTEST_FLAGS)
	$(MAKE) --no-print-directory test-sanitize
	$(MAKE) --no-print-directory fuzz

test-unit: deps-test build
	cd $(BUILD_DIR) && ctest --output-on-failure -L unit $(CTEST_FLAGS)

test-vm: deps-test deps-extra build
	cd $(BUILD_DIR) && ctest --output-on-failure -L vm $(CTEST_FLAGS)

# The unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
test-sanitize: deps-test
	cmake -S . -B $(ASAN_BUILD_DIR) -DKH_WERROR=ON -DKH_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD_DIR) -j $(JOBS)
	cd $(ASAN_BUILD_DIR) && ctest --output-on-failure -L unit $(CTEST_FLAGS)

# The MI parser under libFuzzer (clang) for FUZZ_SECONDS, seeded with the fixture transcripts.
FUZZ_SECONDS ?= 30
fuzz: deps-test
	tests/fuzz/run-fuzz.sh $(FUZZ_SECONDS)

# clang-tidy (.clang-tidy, warnings are errors) in parallel over every source of the tree
# (LINT_FILES, a regex on their paths). A file that passed is skipped until it, a header of the
# repository, .clang-tidy or its compile command changes (tools/lint.py); LINT_FLAGS=--all checks
# all. Measured here (2 cores): the whole tree ~30 min of CPU from nothing, one file 5-15 s of CPU
# (parsing fmt, pugixml, gtest headers dominates).
LINT_FILES ?= $(CURDIR)/(harness|tests|bench|guest-programs)/
LINT_FLAGS ?=
# The harness builds as unity files (KH_UNITY_BUILD), whose compile database names no source
# file: lint reads the database of a file-by-file configuration (configured only, never built).
LINT_BUILD_DIR ?= build-lint
lint: deps-test
	@cmake -S . -B $(LINT_BUILD_DIR) -DKH_UNITY_BUILD=OFF $(CMAKE_FLAGS) > /dev/null
	tools/lint.py $(LINT_BUILD_DIR) '$(LINT_FILES)' --jobs $(JOBS) $(LINT_FLAGS)

# Figures only on stdout: everything cmake and make say goes to stderr.
bench:
	@$(MAKE) --no-print-directory deps-trace deps-extra configure >&2
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target bench_programs >&2
	@while read -r program args; do $$program $$args < /dev/null || exit 1; done < $(BUILD_DIR)/bench/programs.txt

# The kernel: KERNEL_SOURCE / KERNEL_TARBALL / KERNEL_VERSION, else a cached 4.19, else 4.19 from
# kernel.org, else Debian's linux-source-6.1 (kharness says so).
KERNEL_ARGS = $(if $(KERNEL_SOURCE),--kernel-source "$(KERNEL_SOURCE)") \
              $(if $(KERNEL_TARBALL),--kernel-tarball "$(KERNEL_TARBALL)") \
              $(if $(KERNEL_VERSION),--kernel-version "$(KERNEL_VERSION)")
RUN_FLAGS ?=

trace-mount: deps-trace build-kharness
	$(BUILD_DIR)/kharness run scenarios/trace-mount.xml --prefer-kernel 4.19 $(KERNEL_ARGS) $(RUN_FLAGS)

# The scenarios (SCENARIOS, default all of scenarios/) on every kernel option in KERNELS, each one
# column; MATRIX_FLAGS for more (-j N, --golden DIR, --junit FILE, ...).
SCENARIOS ?= $(wildcard scenarios/*.xml)
KERNELS ?= --kernel-package linux-source-6.1 --kernel-package linux-source-6.12
MATRIX_FLAGS ?=
matrix: deps-trace deps-extra build-kharness
	$(BUILD_DIR)/kharness matrix $(SCENARIOS) $(KERNELS) $(MATRIX_FLAGS)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h' '*.c')

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR) $(LINT_BUILD_DIR)
