def test_johns_conversation(johns_conversation, john):
    assert johns_conversation.customer == john
