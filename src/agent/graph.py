"""The example agent: the seed tutorial's router graph, on a fake model."""

from langgraph.config import get_stream_writer
from langgraph.graph import END, START, MessagesState, StateGraph

from agent.fake_model import FakeChatModel

model = FakeChatModel()


def router(state: MessagesState) -> str:
    # `.text`, not `.content`: chat UIs send content as a list of blocks ([{"type": "text", ...}]).
    last_msg = state["messages"][-1].text.lower()
    if "search" in last_msg:
        return "search"
    return "respond"


def search_node(state: MessagesState) -> dict:
    get_stream_writer()({"progress": "searching"})
    return {"messages": [{"role": "assistant", "content": "Search result: ..."}]}


def respond_node(state: MessagesState) -> dict:
    response = model.invoke(state["messages"])
    return {"messages": [response]}


builder = StateGraph(MessagesState)
builder.add_node("search", search_node)
builder.add_node("respond", respond_node)
builder.add_conditional_edges(START, router, ["search", "respond"])
builder.add_edge("search", END)
builder.add_edge("respond", END)

graph = builder.compile()
