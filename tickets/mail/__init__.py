"""The e-mail channel: parsing inbound mail, trimming quotes, composing replies, polling IMAP.

Pure modules (no Django): `charsets`, `headers`, `htmltext`, `parse`, `classify`, `quoting`,
`compose`. Writes happen in tickets.services.inbound_email / outbound_email (STYLE.md C3).
"""
