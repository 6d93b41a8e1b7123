// C++ without frame pointers: templates, inlined lambdas in std::sort, and exceptions thrown
// through several frames (the unwinder runs in libgcc_s / libstdc++ while samples land).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <stdexcept>
#include <vector>

static volatile uint64_t sink;

template <int N> struct Level {
	__attribute__((noinline)) static uint64_t run(uint64_t x)
	{
		uint64_t r = Level<N - 1>::run(x + N);
		sink += r;
		return r ^ N;
	}
};

template <> struct Level<0> {
	__attribute__((noinline)) static uint64_t run(uint64_t x)
	{
		for (int i = 0; i < 2000000; i++)
			x = x * 6364136223846793005ULL + 1;
		return x;
	}
};

__attribute__((noinline)) static void sort_work(std::vector<uint64_t> &v)
{
	for (auto &x : v)
		x = x * 2862933555777941757ULL + 3037000493ULL;
	std::sort(v.begin(), v.end(), [](uint64_t a, uint64_t b) { return (a % 1000003) < (b % 1000003); });
}

__attribute__((noinline)) static void thrower(int depth)
{
	if (depth == 0)
		throw std::runtime_error("deep");
	thrower(depth - 1);
	sink++;
}

__attribute__((noinline)) static void exceptions(void)
{
	for (int i = 0; i < 4; i++) {
		try {
			thrower(20);
		} catch (const std::exception &e) {
			sink += e.what()[0];
		}
	}
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	std::vector<uint64_t> v(64, 1); // small: few distinct recursion depths
	time_t end = time(nullptr) + (time_t)secs;
	while (time(nullptr) < end) {
		sink += Level<12>::run(sink);
		for (int i = 0; i < 2000; i++)
			sort_work(v);
		exceptions();
	}
	return 0;
}
