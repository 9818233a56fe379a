"""What an action does to bytes: pure functions over text and JSON."""
