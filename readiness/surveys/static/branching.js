// Show or hide survey questions by their REDCap-style branching logic, as the respondent answers.
// A mirror of readiness/branching.py (same grammar, same REDCap semantics: blank is '', [field(code)] is '1'
// when that checkbox option is ticked, values that both look numeric compare as numbers, otherwise = and <>
// compare text and <, >, <=, >= are false). The server is the authority: it ignores answers to hidden questions
// whatever this script does, and it holds all scoring. Tested against the Python evaluator through Node.
(function (root) {
  "use strict";

  var TOKEN = /\s*(?:(\[([A-Za-z][A-Za-z0-9_]*)(?:\(([A-Za-z0-9_\-.]+)\))?\])|'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?)|(<>|!=|<=|>=|==|=|<|>)|([()])|([A-Za-z]+))/y;

  function tokenize(expr) {
    var tokens = [], pos = 0, m;
    while (pos < expr.length) {
      if (expr.slice(pos).trim() === "") { break; }
      TOKEN.lastIndex = pos;
      m = TOKEN.exec(expr);
      if (m === null || TOKEN.lastIndex === pos) { throw new Error("unexpected text at position " + (pos + 1)); }
      if (m[1]) {
        tokens.push({kind: "operand", value: {type: "field", field: m[2], code: m[3] === undefined ? null : m[3]}});
      } else if (m[4] !== undefined || m[5] !== undefined) {
        tokens.push({kind: "operand", value: {type: "literal", value: m[4] !== undefined ? m[4] : m[5]}});
      } else if (m[6]) {
        tokens.push({kind: "operand", value: {type: "literal", value: m[6]}});
      } else if (m[7]) {
        tokens.push({kind: "op", value: m[7]});
      } else if (m[8]) {
        tokens.push({kind: m[8], value: m[8]});
      } else {
        var word = m[9].toLowerCase();
        if (word !== "and" && word !== "or") { throw new Error("unknown word " + m[9]); }
        tokens.push({kind: word, value: word});
      }
      pos = TOKEN.lastIndex;
    }
    return tokens;
  }

  function parse(expr) {
    var tokens = tokenize(expr), i = 0;
    if (!tokens.length) { throw new Error("empty branching logic"); }
    function peek() { return i < tokens.length ? tokens[i].kind : null; }
    function take(kind) {
      if (peek() !== kind) { throw new Error("expected " + kind); }
      return tokens[i++].value;
    }
    function atom() {
      if (peek() === "(") { i++; var node = orExpr(); take(")"); return node; }
      var left = take("operand"), op = take("op"), right = take("operand");
      return {type: "compare", op: op, left: left, right: right};
    }
    function andExpr() {
      var args = [atom()];
      while (peek() === "and") { i++; args.push(atom()); }
      return args.length === 1 ? args[0] : {type: "and", args: args};
    }
    function orExpr() {
      var args = [andExpr()];
      while (peek() === "or") { i++; args.push(andExpr()); }
      return args.length === 1 ? args[0] : {type: "or", args: args};
    }
    var tree = orExpr();
    if (i !== tokens.length) { throw new Error("unexpected " + tokens[i].value); }
    return tree;
  }

  function asText(value, code) {
    if (code !== null) {
      var ticked = Array.isArray(value) ? value.map(String) : [];
      return ticked.indexOf(code) >= 0 ? "1" : "0";
    }
    if (value === null || value === undefined || Array.isArray(value)) { return ""; }
    if (value === true) { return "1"; }
    if (value === false) { return "0"; }
    if (typeof value === "number") {
      if (isNaN(value)) { return ""; }
      return String(value);
    }
    return String(value);
  }

  function number(text) {
    // Python float(): surrounding whitespace allowed, nothing else; blank is not a number
    if (text.trim() === "") { return null; }
    var t = text.trim();
    if (!/^[+-]?(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?|inf(inity)?)$/i.test(t)) { return null; }
    var n = /inf/i.test(t) ? (t.charAt(0) === "-" ? -Infinity : Infinity) : Number(t);
    return isNaN(n) ? null : n;
  }

  function operand(node, answers) {
    if (node.type === "literal") { return node.value; }
    return asText(Object.prototype.hasOwnProperty.call(answers, node.field) ? answers[node.field] : null, node.code);
  }

  function evaluate(tree, answers) {
    if (tree.type === "and") { return tree.args.every(function (a) { return evaluate(a, answers); }); }
    if (tree.type === "or") { return tree.args.some(function (a) { return evaluate(a, answers); }); }
    var left = operand(tree.left, answers), right = operand(tree.right, answers), op = tree.op;
    var a = number(left), b = number(right);
    if (op === "=" || op === "==" || op === "<>" || op === "!=") {
      var equal = (a !== null && b !== null) ? a === b : left === right;
      return (op === "=" || op === "==") ? equal : !equal;
    }
    if (a === null || b === null) { return false; }
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op];
  }

  // --- the page ---------------------------------------------------------------------------------------------
  function answersOf(form) {
    var answers = {};
    form.querySelectorAll("[data-key]").forEach(function (wrapper) {
      var key = wrapper.getAttribute("data-key");
      var inputs = wrapper.querySelectorAll("input, select, textarea");
      if (!inputs.length || wrapper.hidden) { return; }
      var first = inputs[0];
      if (first.type === "checkbox") {
        answers[key] = Array.prototype.filter.call(inputs, function (el) { return el.checked; })
          .map(function (el) { return el.value; });
      } else if (first.type === "radio") {
        var checked = Array.prototype.filter.call(inputs, function (el) { return el.checked; })[0];
        if (checked) { answers[key] = checked.value; }
      } else if (first.value !== "") {
        answers[key] = first.value;
      }
    });
    return answers;
  }

  function apply(form, trees) {
    // repeat until stable: hiding a question clears its answer, which may hide others (as the server does)
    for (var round = 0; round < 20; round++) {
      var answers = answersOf(form), changed = false;
      trees.forEach(function (entry) {
        var show = true;
        try { show = evaluate(entry.tree, answers); } catch (e) { show = true; }
        if (entry.el.hidden === show) {
          entry.el.hidden = !show;
          entry.el.querySelectorAll("input, select, textarea").forEach(function (el) { el.disabled = !show; });
          changed = true;
        }
      });
      if (!changed) { return; }
    }
  }

  function init() {
    document.querySelectorAll("form[data-branching-form]").forEach(function (form) {
      var trees = [];
      form.querySelectorAll("[data-branching]").forEach(function (el) {
        try { trees.push({el: el, tree: parse(el.getAttribute("data-branching"))}); } catch (e) { /* show it */ }
      });
      if (!trees.length) { return; }
      apply(form, trees);
      form.addEventListener("change", function () { apply(form, trees); });
      form.addEventListener("input", function () { apply(form, trees); });
    });
  }

  var api = {parse: parse, evaluate: evaluate, tokenize: tokenize};
  if (typeof module !== "undefined" && module.exports) {
    module.exports = api;
  } else {
    root.MIOBranching = api;
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
  }
}(this));
