"""Reading a page: the record's fields, charset choice, HTML walking, the CSS index, dates, text, the item loader."""
