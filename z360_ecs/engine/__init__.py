"""The mock engine: run the real program with no cloud, drive the policy pack, diff two runs."""
