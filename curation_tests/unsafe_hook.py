"""A real (tiny) classifier for the unsafe-content hook: the share of words on a watch list."""

WATCHED = {"forbidden", "contraband"}


def watched_word_share(texts: list[str]) -> list[float]:
    scores = []
    for text in texts:
        words = text.lower().split()
        scores.append(min(1.0, 5 * sum(word.strip(".,!?") in WATCHED for word in words) / max(len(words), 1)))
    return scores
