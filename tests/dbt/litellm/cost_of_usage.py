"""Run inside an environment that has LiteLLM (see test_litellm_cost_parity.py).

Reads {"prices": {model: {token_type: usd_per_mtok}}, "requests": [{"model",
"usage"}]} from the file named on the command line, registers the prices as
LiteLLM's own model map entries, converts each Anthropic usage object with
LiteLLM's Anthropic transformation, prices it with litellm.cost_per_token and
prints the costs as JSON. The entries replace LiteLLM's bundled ones for the
same names, so both sides price with the same rows.
"""

import json
import os
import sys
from importlib.metadata import version

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # no download of the public map

import litellm
from litellm.llms.anthropic.chat.transformation import AnthropicConfig

MAP_KEYS = {
    "input": "input_cost_per_token",
    "output": "output_cost_per_token",
    "cache_write": "cache_creation_input_token_cost",
    "cache_write_1h": "cache_creation_input_token_cost_above_1hr",
    "cache_read": "cache_read_input_token_cost",
}


def main(path: str) -> None:
    with open(path) as handle:
        case = json.load(handle)
    # Our price book has no long-context tier: drop LiteLLM's own entries so
    # the map holds exactly the prices registered here.
    for model in case["prices"]:
        litellm.model_cost.pop(model, None)
    litellm.register_model(
        {
            model: {
                **{MAP_KEYS[kind]: price / 1e6 for kind, price in prices.items()},
                "litellm_provider": "anthropic",
                "mode": "chat",
            }
            for model, prices in case["prices"].items()
        }
    )
    costs = []
    for request in case["requests"]:
        usage = AnthropicConfig().calculate_usage(
            usage_object=request["usage"], reasoning_content=None
        )
        prompt, completion = litellm.cost_per_token(
            model=request["model"], custom_llm_provider="anthropic", usage_object=usage
        )
        costs.append(prompt + completion)
    print(json.dumps({"version": version("litellm"), "costs": costs}))


if __name__ == "__main__":
    main(sys.argv[1])
