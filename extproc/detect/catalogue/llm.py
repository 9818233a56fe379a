"""Keys of the model providers themselves, by prefix where they have one, else by name.

OpenAI, Anthropic and Google keys are in ``classic``. Providers whose keys
carry no prefix (Mistral, Cohere, Azure OpenAI, and the many served behind
an OpenAI-compatible API) are found after their environment-variable or
header name; ``secret/llm_api_key`` covers those not named here.

==========================  ============  ========  =======  =====  ==============
detector                    validator     format    context  exact  invalid+ctx
==========================  ============  ========  =======  =====  ==============
secret/groq_api_key         high_entropy  0.85      0.95     0.97   -
secret/openrouter_api_key   high_entropy  0.85      0.95     0.97   -
secret/perplexity_api_key   high_entropy  0.85      0.95     0.97   -
secret/xai_api_key          high_entropy  0.85      0.95     0.97   -
secret/replicate_api_token  high_entropy  0.85      0.95     0.97   -
secret/nvidia_api_key       high_entropy  0.85      0.95     0.97   -
secret/langsmith_api_key    high_entropy  0.90      -        0.97   -
secret/tavily_api_key       high_entropy  0.85      0.95     0.97   -
secret/mistral_api_key      high_entropy  0.90      -        -      -
secret/cohere_api_key       high_entropy  0.90      -        -      -
secret/azure_openai_key     random_token  0.90      -        -      -
secret/llm_api_key          random_token  0.85      -        -      -
==========================  ============  ========  =======  =====  ==============

Sample key bodies are drawn from a seeded generator at import: random, never
issued, and never written out in this source.
"""

from __future__ import annotations

import random
import string

from extproc.detect.catalogue.credentials import ASSIGNMENT_GATE
from extproc.detect.spec import DetectorSpec

_ALNUM = string.ascii_letters + string.digits
_HEX = "0123456789abcdef"
_URL = _ALNUM + "-_"
_L = r"(?<![A-Za-z0-9_-])"
_R = r"(?![A-Za-z0-9_-])"


def _r(alphabet: str, n: int, salt: int) -> str:
    rng = random.Random(1000 + salt)
    return "".join(rng.choice(alphabet) for _ in range(n))


def _named(names: str, value: str) -> str:
    """``value`` right after one of ``names`` (an assignment, a YAML key, a header)."""
    return (
        rf"(?i:(?<![A-Za-z0-9])(?:{names}))[\"']?[ \t]{{0,3}}(?:[:=]|=>)[ \t]{{0,3}}[\"']?"
        rf"(?P<value>{value})(?![A-Za-z0-9_-]|\.[A-Za-z0-9])"
    )


GROQ = DetectorSpec(
    id="secret/groq_api_key",
    pattern=_L + r"gsk_[A-Za-z0-9]{40,64}" + _R,
    keywords=("gsk_",),
    validator="high_entropy",
    confidence=0.85,
    context=("groq", "api key", "api_key"),
    context_confidence=0.95,
    exact=r"gsk_[A-Za-z0-9]{52}",
    exact_confidence=0.97,
    max_len=70,
    examples=("GROQ_API_KEY=gsk_" + _r(_ALNUM, 52, 1), "key gsk_" + _r(_ALNUM, 52, 2)),
    negatives=("gsk_" + "x" * 52, "gsk_your_key_here"),
    builtin=True,
)

OPENROUTER = DetectorSpec(
    id="secret/openrouter_api_key",
    pattern=_L + r"sk-or-v1-[a-f0-9]{64}" + _R,
    keywords=("sk-or-v1-",),
    validator="high_entropy",
    confidence=0.85,
    context=("openrouter", "api key", "api_key"),
    context_confidence=0.95,
    exact=r"sk-or-v1-[a-f0-9]{64}",
    exact_confidence=0.97,
    max_len=73,
    examples=("OPENROUTER_API_KEY=sk-or-v1-" + _r(_HEX, 64, 3), "use sk-or-v1-" + _r(_HEX, 64, 4)),
    negatives=("sk-or-v1-" + "0" * 64, "sk-or-v1-..."),
    builtin=True,
)

PERPLEXITY = DetectorSpec(
    id="secret/perplexity_api_key",
    pattern=_L + r"pplx-[A-Za-z0-9]{32,64}" + _R,
    keywords=("pplx-",),
    validator="high_entropy",
    confidence=0.85,
    context=("perplexity", "api key", "api_key"),
    context_confidence=0.95,
    exact=r"pplx-[A-Za-z0-9]{48}",
    exact_confidence=0.97,
    max_len=70,
    examples=("PERPLEXITY_API_KEY=pplx-" + _r(_ALNUM, 48, 5), "key pplx-" + _r(_ALNUM, 48, 6)),
    negatives=("pplx-" + "x" * 48, "pplx-api"),
    builtin=True,
)

XAI = DetectorSpec(
    id="secret/xai_api_key",
    pattern=_L + r"xai-[A-Za-z0-9]{60,100}" + _R,
    keywords=("xai-",),
    validator="high_entropy",
    confidence=0.85,
    context=("xai", "grok", "api key", "api_key"),
    context_confidence=0.95,
    exact=r"xai-[A-Za-z0-9]{80}",
    exact_confidence=0.97,
    max_len=105,
    examples=("XAI_API_KEY=xai-" + _r(_ALNUM, 80, 7), "grok xai-" + _r(_ALNUM, 80, 8)),
    negatives=("xai-" + "X" * 80, "xai-sdk"),
    builtin=True,
)

REPLICATE = DetectorSpec(
    id="secret/replicate_api_token",
    pattern=_L + r"r8_[A-Za-z0-9]{37}" + _R,
    keywords=("r8_",),
    validator="high_entropy",
    confidence=0.85,
    context=("replicate", "api token", "api_token"),
    context_confidence=0.95,
    exact=r"r8_[A-Za-z0-9]{37}",
    exact_confidence=0.97,
    max_len=40,
    examples=("REPLICATE_API_TOKEN=r8_" + _r(_ALNUM, 37, 9), "token r8_" + _r(_ALNUM, 37, 10)),
    negatives=("r8_" + "x" * 37, "r8_short"),
    builtin=True,
)

NVIDIA = DetectorSpec(
    id="secret/nvidia_api_key",
    pattern=_L + r"nvapi-[A-Za-z0-9_-]{60,70}" + _R,
    keywords=("nvapi-",),
    validator="high_entropy",
    confidence=0.85,
    context=("nvidia", "nim", "api key", "api_key"),
    context_confidence=0.95,
    exact=r"nvapi-[A-Za-z0-9_-]{64}",
    exact_confidence=0.97,
    max_len=76,
    examples=("NVIDIA_API_KEY=nvapi-" + _r(_URL, 64, 11), "key nvapi-" + _r(_URL, 64, 12)),
    negatives=("nvapi-" + "x" * 64, "nvapi-key"),
    builtin=True,
)

LANGSMITH = DetectorSpec(
    id="secret/langsmith_api_key",
    pattern=_L + r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}" + _R,
    keywords=("lsv2_pt_", "lsv2_sk_"),
    validator="high_entropy",
    confidence=0.9,
    exact=r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}",
    exact_confidence=0.97,
    max_len=51,
    examples=("LANGSMITH_API_KEY=lsv2_pt_" + _r(_HEX, 32, 13) + "_" + _r(_HEX, 10, 14),),
    negatives=("lsv2_pt_" + "0" * 32 + "_" + "0" * 10, "lsv2_pt_"),
    builtin=True,
)

TAVILY = DetectorSpec(
    id="secret/tavily_api_key",
    pattern=_L + r"tvly-(?:dev-|prod-)?[A-Za-z0-9]{28,40}" + _R,
    keywords=("tvly-",),
    validator="high_entropy",
    confidence=0.85,
    context=("tavily", "api key", "api_key"),
    context_confidence=0.95,
    exact=r"tvly-(?:dev-|prod-)?[A-Za-z0-9]{32}",
    exact_confidence=0.97,
    max_len=50,
    examples=(
        "TAVILY_API_KEY=tvly-dev-" + _r(_ALNUM, 32, 15),
        "tool key tvly-" + _r(_ALNUM, 32, 16),
    ),
    negatives=("tvly-" + "x" * 32, "tvly-python"),
    builtin=True,
)

MISTRAL = DetectorSpec(
    id="secret/mistral_api_key",
    pattern=_named(r"mistral[_-]?(?:ai[_-]?)?(?:api[_-]?)?key", r"[A-Za-z0-9]{32}"),
    keywords=("mistral",),
    gate=ASSIGNMENT_GATE,
    validator="high_entropy",
    confidence=0.9,
    max_len=80,
    examples=(
        "MISTRAL_API_KEY=" + _r(_ALNUM, 32, 17),
        "mistral_api_key: '" + _r(_ALNUM, 32, 18) + "'",
    ),
    negatives=("MISTRAL_API_KEY=" + "x" * 32, "mistral-large-latest"),
    builtin=True,
)

COHERE = DetectorSpec(
    id="secret/cohere_api_key",
    pattern=_named(r"cohere[_-]?(?:api[_-]?)?key|co[_-]api[_-]key", r"[A-Za-z0-9]{40}"),
    keywords=("cohere", "co_api_key", "co-api-key"),
    gate=ASSIGNMENT_GATE,
    validator="high_entropy",
    confidence=0.9,
    max_len=80,
    examples=("COHERE_API_KEY=" + _r(_ALNUM, 40, 19), "CO_API_KEY: " + _r(_ALNUM, 40, 20)),
    negatives=("COHERE_API_KEY=" + "x" * 40, "cohere.Client(api_key=key)"),
    builtin=True,
)

AZURE_OPENAI = DetectorSpec(
    id="secret/azure_openai_key",
    pattern=_named(
        r"azure[_-]?(?:openai|oai|ai|cognitive)[_-]?(?:services[_-]?)?(?:api[_-]?)?key"
        r"|ocp-apim-subscription-key",
        r"[a-f0-9]{32}|[A-Za-z0-9]{84}",
    ),
    keywords=(
        "azure_openai",
        "azure-openai",
        "azureopenai",
        "azure_oai",
        "azure_ai",
        "azure_cognitive",
        "ocp-apim-subscription-key",
    ),
    gate=ASSIGNMENT_GATE,
    validator="random_token",
    confidence=0.9,
    max_len=130,
    examples=(
        "AZURE_OPENAI_API_KEY=" + _r(_HEX, 32, 21),
        "Ocp-Apim-Subscription-Key: " + _r(_HEX, 32, 22),
        "AZURE_OPENAI_KEY=" + _r(_ALNUM, 84, 23),
    ),
    negatives=("AZURE_OPENAI_API_KEY=" + "0" * 32, "AZURE_OPENAI_ENDPOINT=https://x"),
    builtin=True,
)

LLM_API_KEY = DetectorSpec(
    id="secret/llm_api_key",
    pattern=_named(
        r"(?:deepseek|together|togetherai|fireworks|ai21|anyscale|deepinfra|voyage|jina|cerebras"
        r"|sambanova|hyperbolic|novita|lepton|elevenlabs|assemblyai|deepgram|stability"
        r"|pinecone|weaviate|qdrant|langchain|serpapi|exa|firecrawl|unstructured|llama[_-]?cloud"
        r"|nomic|moonshot|dashscope|qwen|zhipu|minimax|reka|writer|gemini|vertex[_-]?ai"
        r"|huggingface|hugging[_-]?face|openai|anthropic|claude|groq|perplexity|openrouter|xai"
        r"|replicate|cohere|mistral|ollama|litellm|portkey|helicone|aleph[_-]?alpha)"
        r"[_-]?(?:api[_-]?)?(?:key|token|secret)",
        r"[A-Za-z0-9][A-Za-z0-9._-]{19,199}",
    ),
    keywords=(
        "deepseek",
        "together",
        "fireworks",
        "ai21",
        "anyscale",
        "deepinfra",
        "voyage",
        "jina",
        "cerebras",
        "sambanova",
        "hyperbolic",
        "novita",
        "lepton",
        "elevenlabs",
        "assemblyai",
        "deepgram",
        "stability",
        "pinecone",
        "weaviate",
        "qdrant",
        "langchain",
        "serpapi",
        "exa_",
        "exa-",
        "firecrawl",
        "unstructured",
        "llama",
        "nomic",
        "moonshot",
        "dashscope",
        "qwen",
        "zhipu",
        "minimax",
        "reka",
        "writer",
        "gemini",
        "vertex",
        "huggingface",
        "hugging",
        "openai",
        "anthropic",
        "claude",
        "groq",
        "perplexity",
        "openrouter",
        "xai",
        "replicate",
        "cohere",
        "mistral",
        "ollama",
        "litellm",
        "portkey",
        "helicone",
        "aleph",
    ),
    gate=ASSIGNMENT_GATE,
    validator="random_token",
    confidence=0.85,
    max_len=260,
    examples=(
        "DEEPSEEK_API_KEY=" + _r(_ALNUM, 32, 24),
        "together_api_key: " + _r(_HEX, 64, 25),
        "export FIREWORKS_API_KEY=fw_" + _r(_ALNUM, 24, 26),
        "PINECONE_API_KEY=pcsk_" + _r(_ALNUM, 6, 27) + "_" + _r(_ALNUM, 60, 28),
    ),
    negatives=(
        "DEEPSEEK_API_KEY=your-deepseek-api-key",
        "OPENAI_API_KEY=${OPENAI_API_KEY}",
        "gemini_api_key = os.environ.get('GEMINI_API_KEY')",
    ),
    builtin=True,
)

LLM: tuple[DetectorSpec, ...] = (
    GROQ,
    OPENROUTER,
    PERPLEXITY,
    XAI,
    REPLICATE,
    NVIDIA,
    LANGSMITH,
    TAVILY,
    MISTRAL,
    COHERE,
    AZURE_OPENAI,
    LLM_API_KEY,
)
