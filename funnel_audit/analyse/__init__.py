"""What the labelled pages say: stage gaps, link flow, topics, and changes since the last audit."""
