# Thin wrapper over CMake and the scripts; the scripts are the reference.
.PHONY: all demo test docs clean
all:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build -j
demo:
	bash scripts/demo.sh
test:
	bash scripts/test.sh
docs: all
	./build/kubeharden rules --doc --cases tests/cases > docs/rules.md
	bash scripts/cli-doc.sh build/kubeharden > docs/cli.md
clean:
	rm -rf build build-asan build-tsan build-fuzz build-bench
