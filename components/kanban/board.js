// Kanban board: columns of cards, HTML5 drag and drop. Every database text goes in via textContent.
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  if (!data) return;
  parentElement.querySelectorAll(".board").forEach((el) => el.remove());
  const board = document.createElement("div");
  board.className = "board";
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };
  for (const column of data.columns) {
    const col = el("div", "column " + column.kind);
    col.dataset.stageId = column.id;
    col.setAttribute("data-testid", "kanban-column");
    const head = el("div", "head");
    const title = el("div", "title");
    title.append(el("span", "", column.name), el("span", "count", column.count));
    head.append(title, el("div", "sums", column.sums));
    const cards = el("div", "cards");
    for (const deal of column.cards) {
      const card = el("div", "card");
      card.draggable = true;
      card.dataset.dealId = deal.id;
      card.setAttribute("data-testid", "kanban-card");
      card.append(el("div", "name", deal.title));
      if (deal.who) card.append(el("div", "who", deal.who));
      const row = el("div", "row");
      row.append(el("span", "amount", deal.amount), el("span", deal.stale ? "stale" : "", deal.days));
      card.append(row);
      const owner = el("div", "row");
      owner.append(el("span", "", deal.owner || ""));
      card.append(owner);
      if (deal.next) card.append(el("div", "next", deal.next));
      card.addEventListener("dragstart", (e) => {
        e.dataTransfer.setData("text/plain", JSON.stringify({ id: deal.id, version: deal.version, from: column.id }));
        e.dataTransfer.effectAllowed = "move";
        card.classList.add("dragging");
      });
      card.addEventListener("dragend", () => card.classList.remove("dragging"));
      card.addEventListener("click", () => setTriggerValue("opened", { deal_id: deal.id, at: Date.now() }));
      cards.append(card);
    }
    if (column.hidden > 0) cards.append(el("div", "more", column.more));
    col.addEventListener("dragover", (e) => { e.preventDefault(); col.classList.add("over"); });
    col.addEventListener("dragleave", () => col.classList.remove("over"));
    col.addEventListener("drop", (e) => {
      e.preventDefault();
      col.classList.remove("over");
      let moved;
      try { moved = JSON.parse(e.dataTransfer.getData("text/plain")); } catch (err) { return; }
      if (!moved || moved.from === column.id) return;
      setTriggerValue("moved", { deal_id: moved.id, version: moved.version, to_stage_id: column.id, at: Date.now() });
    });
    col.append(head, cards);
    board.append(col);
  }
  parentElement.append(board);
}
