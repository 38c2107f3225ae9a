"""Training baskets: many datasets, one model; the answers for all of them at once.

``model`` (what a basket holds) and ``store`` (the tables); ``gather`` reads each dataset
once; ``cover``, ``lead_time``, ``obligations``, ``share_alike`` and ``conflicts`` answer
"where do I get it" and "what do I owe"; ``answers`` puts them together with "changes since
you last looked"; ``ai_act_summary`` and ``summary_formats`` draft the AI Act summary;
``attributions`` and ``croissant`` are what to ship with the model; ``requests`` files the
access requests; ``service`` is what the API, the pages and the command line call.
"""
