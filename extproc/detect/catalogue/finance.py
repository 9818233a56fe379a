"""Bank routing and SWIFT codes, and crypto wallet addresses.

Routing numbers and BICs are short everyday shapes (nine digits, eight
capitals): they count only near their words. Wallet addresses carry strong
checksums (base58check, bech32, EIP-55 when mixed-case) and stand alone.

==========================  ================  ========  =======  =====  ==============
detector                    validator         format    context  exact  invalid+ctx
==========================  ================  ========  =======  =====  ==============
pii/us_bank_routing         aba_routing       0.30      0.90     -      -
pii/swift_bic               swift_bic         0.30      0.90     -      -
pii/bitcoin_address         bitcoin_address   0.90      0.95     -      -
pii/ethereum_address        ethereum_address  0.60      0.90     0.95   -
==========================  ================  ========  =======  =====  ==============

"exact" for Ethereum: a mixed-case address, whose EIP-55 checksum the
validator has verified. The sample addresses are invented or long published.
"""

from __future__ import annotations

from extproc.detect.spec import DetectorSpec

US_BANK_ROUTING = DetectorSpec(
    id="pii/us_bank_routing",
    pattern=r"(?<![\w.-])[0-9]{9}(?![\w]|[-.][0-9])",
    validator="aba_routing",
    confidence=0.3,
    context=("routing", "aba", "rtn", "routing number", "transit", "ach", "wire"),
    context_confidence=0.9,
    max_len=40,  # the value, and the reach back to its word
    prefilter=r"(?:^|[^A-Za-z])(?i:routing|aba|rtn|transit|ach|wire)(?:[^A-Za-z]|$)",
    examples=(
        "routing number 011000015",
        "ABA: 076084144, account 12345678",
    ),
    negatives=(
        "routing number 011000016",
        "order 0110000151",
    ),
    builtin=True,
)

SWIFT_BIC = DetectorSpec(
    id="pii/swift_bic",
    pattern=r"(?<![A-Za-z0-9])[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?(?![A-Za-z0-9])",
    keywords=("swift", "bic"),
    validator="swift_bic",
    confidence=0.3,
    context=("swift", "bic", "swift code", "swift/bic", "bic code"),
    context_confidence=0.9,
    max_len=40,
    examples=(
        "SWIFT: DEUTDEFF",
        "bic code BNPAFRPPXXX for the transfer",
    ),
    negatives=(
        "SWIFT: PASSWORD",
        "bic AB",
        "swift language DEVELOPER",
    ),
    builtin=True,
)

BITCOIN = DetectorSpec(
    id="pii/bitcoin_address",
    pattern=(
        r"(?<![A-Za-z0-9])(?:[13][1-9A-HJ-NP-Za-km-z]{25,34}|bc1[02-9ac-hj-np-z]{8,87})"
        r"(?![A-Za-z0-9])"
    ),
    validator="bitcoin_address",
    confidence=0.9,
    context=("bitcoin", "btc", "wallet", "address"),
    context_confidence=0.95,
    max_len=90,
    prefilter=(r"(?:^|[^A-Za-z0-9])(?:[13][1-9A-HJ-NP-Za-km-z]{8}|bc1[02-9ac-hj-np-z]{8})"),
    examples=(
        "send to 1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
        "btc: 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
        "wallet bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    ),
    negatives=(
        "send to 1BoatSLRHtKNngkdXEeobR76b53LETtpyU",
        "wallet bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdp",
        "id 1111111111111111111111111111",
    ),
    builtin=True,
)

ETHEREUM = DetectorSpec(
    id="pii/ethereum_address",
    pattern=r"(?<![A-Za-z0-9])0x[0-9a-fA-F]{40}(?![A-Za-z0-9])",
    keywords=("0x",),
    gate=r"0x[0-9a-fA-F]{8}",
    validator="ethereum_address",
    confidence=0.6,
    context=("eth", "ethereum", "wallet", "address", "erc20", "metamask"),
    context_confidence=0.9,
    exact=r"0x(?=[0-9a-f]*[A-F])(?=[0-9A-F]*[a-f])[0-9a-fA-F]{40}",
    exact_confidence=0.95,
    max_len=42,
    examples=(
        "pay 0x8B0E7153BF7C3706D85C524e440066559A6656c9 now",
        "eth wallet 0x8b0e7153bf7c3706d85c524e440066559a6656c9",
    ),
    negatives=(
        "pay 0x8B0E7153BF7C3706D85C524e440066559A6656C9 now",
        "null 0x0000000000000000000000000000000000000000",
        "hash 0x8b0e7153bf7c3706d85c524e440066559a6656c9aa",
    ),
    builtin=True,
)

FINANCE: tuple[DetectorSpec, ...] = (US_BANK_ROUTING, SWIFT_BIC, BITCOIN, ETHEREUM)
