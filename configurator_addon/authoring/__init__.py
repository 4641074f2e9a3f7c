"""What the authoring tool does to the artist's open file and with a server, apart from the
sidebar that shows it (`ui/`): read the open file as a template (`open_file.py`), preview
parameter values in place and put them back (`preview.py`), write the contract's structures
for the artist (`contract_helpers.py`), find and select what a contract error names
(`locations.py`), and publish the file to a server (`publishing.py`, with the HTTP client
`publish_client.py`, which needs no bpy, and `batch.py` for a folder of templates).
"""
