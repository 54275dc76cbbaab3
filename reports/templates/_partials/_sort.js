(function () {
  "use strict";
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  // on narrow screens a cell stacks under its column's name: name the cells a template left
  // unnamed, and give the long ones a whole line
  each(document.querySelectorAll("table"), function (table) {
    var head = table.tHead && table.tHead.rows[0];
    if (!head) { return; }
    each(table.tBodies, function (body) {
      each(body.rows, function (row) {
        each(row.cells, function (cell, i) {
          var th = head.cells[i];
          if (cell.tagName === "TD" && th && !cell.hasAttribute("data-label")) {
            cell.setAttribute("data-label", th.textContent.trim());
            if (!cell.classList.contains("num") && cell.textContent.trim().length > 24) {
              cell.classList.add("wide");
            }
          }
        });
      });
    });
  });
  // short lists folded away on screen are printed open
  var folded = [];
  window.addEventListener("beforeprint", function () {
    each(document.querySelectorAll("details.print-open:not([open])"), function (d) {
      d.open = true;
      folded.push(d);
    });
  });
  window.addEventListener("afterprint", function () {
    folded.forEach(function (d) { d.open = false; });
    folded = [];
  });
  each(document.querySelectorAll("table.sortable"), function (table) {
    var heads = table.querySelectorAll("th[data-sort]");
    each(heads, function (th) {
      th.setAttribute("tabindex", "0");
      th.setAttribute("aria-sort", "none");
      var sort = function () {
        var idx = Array.prototype.indexOf.call(th.parentNode.children, th);
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var asc = th.getAttribute("aria-sort") !== "ascending";
        rows.sort(function (a, b) {
          var x = a.cells[idx].textContent.trim(), y = b.cells[idx].textContent.trim();
          var nx = x === "" ? NaN : Number(x.replace(/[%,]/g, ""));
          var ny = y === "" ? NaN : Number(y.replace(/[%,]/g, ""));
          var cmp = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
          return asc ? cmp : -cmp;
        });
        rows.forEach(function (r) { body.appendChild(r); });
        each(heads, function (other) { if (other !== th) { other.setAttribute("aria-sort", "none"); } });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
    });
  });
}());
