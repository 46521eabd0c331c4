// Kanban board: columns of cards, HTML5 drag and drop, and the same moves from the keyboard (a "move to
// stage" menu per card). While a card is dragged, Won and Lost drop zones stay fixed at the bottom of the
// screen, so a closed stage is reachable without scrolling the board. Every database text goes in via
// textContent; cards the signed-in person may not change (can_edit false, decided on the server) are locked.
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  if (!data) return;
  parentElement.querySelectorAll(".board, .dock, .menu").forEach((node) => node.remove());
  const L = data.labels || {};
  const root = parentElement.getRootNode();
  const active = () => (root.activeElement !== undefined ? root.activeElement : document.activeElement);
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };
  const SVG = "http://www.w3.org/2000/svg";
  const icon = (path) => {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const p = document.createElementNS(SVG, "path");
    p.setAttribute("d", path);
    svg.append(p);
    return svg;
  };
  const MOVE_ICON = "M7 7h11l-3-3 1.4-1.4L21.8 8l-5.4 5.4L15 12l3-3H7zm10 10H6l3 3-1.4 1.4L2.2 16l5.4-5.4L9 12l-3 3h11z";
  const LOCK_ICON = "M12 2a5 5 0 0 0-5 5v3H5v12h14V10h-2V7a5 5 0 0 0-5-5zm-3 8V7a3 3 0 0 1 6 0v3zm3 4a2 2 0 0 1 1 3.7V20h-2v-2.3A2 2 0 0 1 12 14z";
  const stages = data.columns.map((c) => ({ id: c.id, name: c.name, kind: c.kind }));
  const FOCUS = "crm-kanban-focus"; // the card to focus again after a move from the menu (the board is redrawn)
  const remember = (id) => { try { sessionStorage.setItem(FOCUS, String(id)); } catch (err) { /* private mode */ } };
  const report = (deal, stageId) => {
    remember(deal.id);
    setTriggerValue("moved", { deal_id: deal.id, version: deal.version, to_stage_id: stageId, at: Date.now() });
  };

  // The move menu: one at a time, fixed-positioned (the columns scroll and would clip it).
  let open = null;
  const closeMenu = (focusBack) => {
    if (!open) return;
    const { menu, button } = open;
    open = null;
    menu.remove();
    button.setAttribute("aria-expanded", "false");
    if (focusBack) button.focus();
  };
  const showMenu = (button, deal, column) => {
    closeMenu(false);
    const menu = el("div", "menu");
    menu.setAttribute("role", "menu");
    menu.setAttribute("aria-label", L.move_to || "Move to stage");
    menu.append(el("div", "menu-title", L.move_to || "Move to stage"));
    const items = [];
    let closed = false;
    for (const s of stages) {
      if (s.kind !== "open" && !closed) {
        closed = true;
        const sep = el("div", "sep");
        sep.setAttribute("role", "separator");
        menu.append(sep);
      }
      const item = el("button", "item " + s.kind, s.name);
      item.type = "button";
      item.tabIndex = -1;
      item.setAttribute("role", "menuitem");
      item.dataset.stageId = s.id;
      if (s.id === column.id) {
        item.setAttribute("aria-disabled", "true");
        item.classList.add("current");
      }
      item.addEventListener("click", (e) => {
        e.stopPropagation();
        if (s.id === column.id) return;
        closeMenu(true);
        report(deal, s.id);
      });
      items.push(item);
      menu.append(item);
    }
    menu.addEventListener("keydown", (e) => {
      const i = items.indexOf(active());
      const go = (n) => { e.preventDefault(); items[(n + items.length) % items.length].focus(); };
      if (e.key === "ArrowDown") go(i + 1);
      else if (e.key === "ArrowUp") go(i - 1);
      else if (e.key === "Home") go(0);
      else if (e.key === "End") go(items.length - 1);
      else if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); closeMenu(true); }
      else if (e.key === "Tab") closeMenu(false);
    });
    parentElement.append(menu);
    const r = button.getBoundingClientRect();
    const h = menu.offsetHeight;
    const below = window.innerHeight - r.bottom > h + 8;
    menu.style.top = Math.max(4, below ? r.bottom + 4 : r.top - h - 4) + "px";
    menu.style.left = Math.max(4, Math.min(r.right - menu.offsetWidth, window.innerWidth - menu.offsetWidth - 4)) + "px";
    button.setAttribute("aria-expanded", "true");
    open = { menu, button };
    const first = items.find((it) => !it.classList.contains("current"));
    (first || items[0]).focus();
  };

  const board = el("div", "board");
  board.setAttribute("role", "region");
  board.setAttribute("aria-label", L.board_label || "Deals board");
  board.addEventListener("scroll", () => closeMenu(false), true);
  const dropTarget = (node, stageId) => {
    node.addEventListener("dragover", (e) => { e.preventDefault(); node.classList.add("over"); });
    node.addEventListener("dragleave", () => node.classList.remove("over"));
    node.addEventListener("drop", (e) => {
      e.preventDefault();
      node.classList.remove("over");
      let moved;
      try { moved = JSON.parse(e.dataTransfer.getData("text/plain")); } catch (err) { return; }
      if (!moved || moved.from === stageId) return;
      setTriggerValue("moved", { deal_id: moved.id, version: moved.version, to_stage_id: stageId, at: Date.now() });
    });
  };

  // Fixed drop zones for the closed stages, shown only while a card is dragged.
  const dock = el("div", "dock");
  dock.setAttribute("aria-hidden", "true");
  for (const s of stages.filter((x) => x.kind !== "open")) {
    const zone = el("div", "zone " + s.kind);
    zone.dataset.stageId = s.id;
    zone.setAttribute("data-testid", "kanban-drop-zone");
    zone.append(el("span", "zone-hint", L.drop_here || ""), el("span", "zone-name", s.name));
    dropTarget(zone, s.id);
    dock.append(zone);
  }
  const showDock = (fromId) => {
    const r = board.getBoundingClientRect();
    dock.style.left = r.left + "px";
    dock.style.width = r.width + "px";
    dock.querySelectorAll(".zone").forEach((z) => z.classList.toggle("same", Number(z.dataset.stageId) === fromId));
    dock.classList.add("show");
  };
  const hideDock = () => dock.classList.remove("show");

  for (const column of data.columns) {
    const col = el("section", "column " + column.kind);
    col.dataset.stageId = column.id;
    col.setAttribute("data-testid", "kanban-column");
    col.setAttribute("aria-label", column.label || column.name);
    const head = el("div", "head");
    const title = el("div", "title");
    title.append(el("span", "", column.name), el("span", "count", column.count));
    head.append(title, el("div", "sums", column.sums));
    const cards = el("div", "cards");
    cards.setAttribute("role", "list");
    for (const deal of column.cards) {
      const slot = el("div", "slot");
      slot.setAttribute("role", "listitem");
      const card = el("div", "card" + (deal.can_edit ? "" : " locked"));
      card.tabIndex = 0;
      card.draggable = !!deal.can_edit;
      card.dataset.dealId = deal.id;
      card.setAttribute("role", "button");
      card.setAttribute("aria-label", deal.label || deal.title);
      card.setAttribute("data-testid", "kanban-card");
      card.append(el("div", "name", deal.title));
      if (deal.who) card.append(el("div", "who", deal.who));
      const row = el("div", "row");
      row.append(el("span", "amount", deal.amount), el("span", deal.stale ? "stale" : "", deal.days));
      card.append(row);
      const owner = el("div", "row");
      owner.append(el("span", "", deal.owner || ""));
      card.append(owner);
      if (deal.next) card.append(el("div", "next" + (deal.overdue ? " overdue" : ""), deal.next));
      if (deal.no_next) {
        const flag = el("div", "flag", L.no_next || "");
        flag.setAttribute("data-testid", "kanban-no-next");
        card.append(flag);
      }
      if (deal.can_edit) {
        card.addEventListener("dragstart", (e) => {
          closeMenu(false);
          e.dataTransfer.setData("text/plain", JSON.stringify({ id: deal.id, version: deal.version, from: column.id }));
          e.dataTransfer.effectAllowed = "move";
          card.classList.add("dragging");
          setTimeout(() => showDock(column.id), 0); // changing the page inside dragstart can cancel the drag
        });
        card.addEventListener("dragend", () => { card.classList.remove("dragging"); hideDock(); });
      } else {
        card.addEventListener("dragstart", (e) => e.preventDefault());
      }
      const opened = () => setTriggerValue("opened", { deal_id: deal.id, at: Date.now() });
      card.addEventListener("click", opened);
      card.addEventListener("keydown", (e) => {
        if (e.target !== card) return;
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); opened(); return; }
        const step = { ArrowDown: [0, 1], ArrowUp: [0, -1], ArrowRight: [1, 0], ArrowLeft: [-1, 0] }[e.key];
        if (!step) return;
        e.preventDefault();
        const grid = [...board.querySelectorAll(".column")].map((c) => [...c.querySelectorAll(".card")]);
        const x = grid.findIndex((cs) => cs.includes(card));
        const y = grid[x].indexOf(card);
        let target = grid[x][y + step[1]]; // up and down within the column
        if (step[0]) {
          let nx = x + step[0];
          while (grid[nx] && grid[nx].length === 0) nx += step[0]; // skip empty columns
          target = grid[nx] && grid[nx][Math.min(y, grid[nx].length - 1)];
        }
        if (target) { target.focus(); target.scrollIntoView({ block: "nearest", inline: "nearest" }); }
      });
      slot.append(card);
      if (deal.can_edit) {
        const button = el("button", "movebtn");
        button.type = "button";
        button.setAttribute("aria-haspopup", "menu");
        button.setAttribute("aria-expanded", "false");
        button.setAttribute("aria-label", deal.move_label || L.move_to || "");
        button.title = L.move_to || "";
        button.setAttribute("data-testid", "kanban-move");
        button.append(icon(MOVE_ICON));
        button.addEventListener("click", (e) => {
          e.stopPropagation();
          if (open && open.button === button) closeMenu(true);
          else showMenu(button, deal, column);
        });
        button.addEventListener("keydown", (e) => {
          if (e.key === "ArrowDown") { e.preventDefault(); showMenu(button, deal, column); }
        });
        slot.append(button);
      } else {
        const lock = el("span", "lock");
        lock.title = L.locked || "";
        lock.setAttribute("aria-hidden", "true");
        lock.setAttribute("data-testid", "kanban-lock");
        lock.append(icon(LOCK_ICON));
        slot.append(lock);
      }
      cards.append(slot);
    }
    if (column.hidden > 0) cards.append(el("div", "more", column.more));
    dropTarget(col, column.id);
    col.append(head, cards);
    board.append(col);
  }
  const outside = (e) => { if (open && !open.menu.contains(e.target) && !open.button.contains(e.target)) closeMenu(false); };
  const onResize = () => closeMenu(false);
  root.addEventListener("mousedown", outside);
  window.addEventListener("resize", onResize);
  parentElement.append(board, dock);
  if (!data.pending) {
    let again = null;
    try { again = sessionStorage.getItem(FOCUS); sessionStorage.removeItem(FOCUS); } catch (err) { /* private mode */ }
    const card = again && board.querySelector(`.card[data-deal-id="${Number(again)}"]`);
    if (card) { card.scrollIntoView({ block: "nearest", inline: "nearest" }); card.focus({ preventScroll: true }); }
  }
  return () => {
    root.removeEventListener("mousedown", outside);
    window.removeEventListener("resize", onResize);
  };
}
