--[[ tables.lua: tables from the pipeline's CSV/JSON files (Quarto and pandoc alike).

  ::: {#tbl-studies .csv-table file="../data/processed/synthesis/table1.csv"
       caption="Included studies" columns="study_id,country,factors"
       headers="Study|Country|Factors" widths="0.2,0.2,0.6" cite-column="study_id"}
  :::

becomes a real pandoc Table carrying the div's id and caption, so Quarto's and crossref.lua's
cross-referencing both number it (with an id of a custom kind, such as #stbl-sources for
Table S1, a div holding the table and its caption). Optional attributes:
  columns       which CSV columns, in this order (default: all)
  headers       their printed headings, "|"-separated (default: the column names)
  widths        relative column widths (default: from the longest cell of each column)
  cite-column   a column of study/record ids printed as in-text citations (results.lua)
  code-columns  columns printed verbatim in monospace
  size          "small": smaller type for wide tables in the PDF
  empty         text printed as the only row when the file has no rows
  ::: {.json-table file="../data/processed/provenance.json" caption="..."} prints a JSON
  object as key-path / value rows. ::: {.csv-blocks file=... title-column=... code-column=...
  fields=...} prints each row as a titled block with a code block (full search strategies).
Cells are plain text (never parsed as markdown), so query strings and titles stay verbatim.
]]

local function fail(msg)
  error('tables.lua: ' .. msg, 0)
end

local function split(s, sep)
  local out = {}
  if s == nil or s == '' then
    return out
  end
  for part in (s .. sep):gmatch('(.-)' .. sep:gsub('%p', '%%%0')) do
    out[#out + 1] = part:match('^%s*(.-)%s*$')
  end
  return out
end

-- Paths are relative to the manuscript folder; Quarto and render.py both run pandoc there,
-- but fall back to the input file's folder for other callers.
local function read_file(path)
  local candidates = { path }
  if PANDOC_STATE.input_files[1] then
    local dir = pandoc.path.directory(PANDOC_STATE.input_files[1])
    candidates[#candidates + 1] = pandoc.path.join({ dir, path })
  end
  for _, p in ipairs(candidates) do
    local fh = io.open(p, 'r')
    if fh then
      local text = fh:read('a')
      fh:close()
      return text
    end
  end
  fail('cannot read "' .. path .. '" (relative to the manuscript folder)')
end

-- Cell text with line breaks kept (pandoc's CSV reader gives Str/Space/SoftBreak).
local function cell_text(blocks)
  local parts = {}
  for _, b in ipairs(blocks) do
    b:walk({
      Str = function(s) parts[#parts + 1] = s.text end,
      Space = function() parts[#parts + 1] = ' ' end,
      SoftBreak = function() parts[#parts + 1] = '\n' end,
      LineBreak = function() parts[#parts + 1] = '\n' end,
    })
  end
  return table.concat(parts)
end

-- {header = {...}, rows = {{...}, ...}} of strings.
local function read_csv(path)
  local doc = pandoc.read(read_file(path), 'csv')
  local tbl = doc.blocks[1]
  if tbl == nil then
    fail('"' .. path .. '" has no header row')
  end
  local simple = pandoc.utils.to_simple_table(tbl)
  local out = { header = {}, rows = {} }
  for _, c in ipairs(simple.headers) do
    out.header[#out.header + 1] = cell_text(c)
  end
  for _, r in ipairs(simple.rows) do
    local row = {}
    for _, c in ipairs(r) do
      row[#row + 1] = cell_text(c)
    end
    out.rows[#out.rows + 1] = row
  end
  return out
end

local function caption_inlines(text)
  if text == nil or text == '' then
    return pandoc.Inlines({})
  end
  local blocks = pandoc.read(text, 'markdown').blocks
  return blocks[1] and blocks[1].content or pandoc.Inlines({})
end

local function cell(text, kind)
  if kind == 'cite' then
    if text == '' then
      return { pandoc.Plain({}) }
    end
    return { pandoc.Plain({ pandoc.Span(text, { class = 'cite-id' }) }) }
  elseif kind == 'code' then
    return { pandoc.Plain({ pandoc.Code(text) }) }
  end
  local inl = pandoc.Inlines({})
  local lines = split(text, '\n')
  for i, line in ipairs(lines) do
    if i > 1 then
      inl:insert(pandoc.LineBreak())
    end
    inl:extend(pandoc.Inlines(line))
  end
  return { pandoc.Plain(inl) }
end

local function make_table(div, header, rows, kinds)
  local a = div.attributes
  local headings = split(a.headers, '|')
  if #headings == 0 then
    headings = header
  elseif #headings ~= #header then
    fail(div.identifier .. ': ' .. #headings .. ' headers for ' .. #header .. ' columns')
  end
  local widths = {}
  for _, w in ipairs(split(a.widths, ',')) do
    widths[#widths + 1] = tonumber(w) or fail(div.identifier .. ': bad width "' .. w .. '"')
  end
  if #widths == 0 then
    -- Proportional to the longest cell, capped so one long column cannot starve the rest.
    local total = 0
    for j = 1, #header do
      local longest = math.max(#headings[j], 4)
      for _, r in ipairs(rows) do
        longest = math.max(longest, math.min(#(r[j] or ''), 60))
      end
      widths[j] = longest
      total = total + longest
    end
    for j = 1, #widths do
      widths[j] = widths[j] / total
    end
  elseif #widths ~= #header then
    fail(div.identifier .. ': ' .. #widths .. ' widths for ' .. #header .. ' columns')
  end
  local aligns, head = {}, {}
  for j = 1, #header do
    aligns[j] = pandoc.AlignLeft
    head[j] = { pandoc.Plain(pandoc.Inlines(headings[j])) }
  end
  local body = {}
  for _, r in ipairs(rows) do
    local row = {}
    for j = 1, #header do
      row[j] = cell(r[j] or '', kinds[j])
    end
    body[#body + 1] = row
  end
  if #body == 0 and a.empty then
    local row = { { pandoc.Plain(pandoc.Inlines(a.empty)) } }
    for j = 2, #header do
      row[j] = { pandoc.Plain({}) }
    end
    body[1] = row
  end
  -- A #tbl- table carries its id and caption itself. Any other kind (#stbl-: a
  -- supplementary table, see _reviewflow/metadata/crossref.yml) is a custom float, which
  -- Quarto and crossref.lua read from a div whose last paragraph is the caption.
  local custom = not div.identifier:match('^tbl%-') and div.identifier:match('^%a+%-')
  local simple = pandoc.SimpleTable(custom and {} or caption_inlines(a.caption), aligns, widths, head, body)
  local tbl = pandoc.utils.from_simple_table(simple)
  tbl.identifier = custom and '' or div.identifier
  tbl.classes = div.classes:filter(function(c)
    return c ~= 'csv-table' and c ~= 'json-table'
  end)
  local blocks = { tbl }
  if a.size == 'small' then
    tbl.classes:insert('small')
    if FORMAT:match('typst') then
      blocks = {
        pandoc.RawBlock('typst', '#[#set text(size: 7.5pt)'),
        tbl,
        pandoc.RawBlock('typst', ']'),
      }
    end
  end
  if custom then
    blocks[#blocks + 1] = pandoc.Para(caption_inlines(a.caption))
    return pandoc.Div(blocks, pandoc.Attr(div.identifier))
  end
  return blocks
end

local function csv_table(div)
  local a = div.attributes
  local data = read_csv(a.file or fail(div.identifier .. ': no file="..."'))
  local index = {}
  for j, name in ipairs(data.header) do
    index[name] = j
  end
  local columns = split(a.columns, ',')
  if #columns == 0 then
    columns = data.header
  end
  local picks, kinds = {}, {}
  local code = {}
  for _, c in ipairs(split(a['code-columns'], ',')) do
    code[c] = true
  end
  for j, name in ipairs(columns) do
    picks[j] = index[name]
      or fail(a.file .. ': no column "' .. name .. '" (has: ' .. table.concat(data.header, ', ') .. ')')
    kinds[j] = (name == a['cite-column'] and 'cite') or (code[name] and 'code') or 'text'
  end
  local rows = {}
  for _, r in ipairs(data.rows) do
    local row = {}
    for j, k in ipairs(picks) do
      row[j] = r[k] or ''
    end
    rows[#rows + 1] = row
  end
  return make_table(div, columns, rows, kinds)
end

local function flatten(value, prefix, rows)
  if type(value) == 'table' then
    local keys = {}
    for k in pairs(value) do
      keys[#keys + 1] = k
    end
    table.sort(keys, function(x, y)
      return tostring(x) < tostring(y)
    end)
    for _, k in ipairs(keys) do
      local path = prefix == '' and tostring(k) or (prefix .. '.' .. tostring(k))
      flatten(value[k], path, rows)
    end
    if #keys == 0 then
      rows[#rows + 1] = { prefix, '' }
    end
  else
    rows[#rows + 1] = { prefix, value == nil and '' or tostring(value) }
  end
end

local function json_table(div)
  local ok, value = pcall(pandoc.json.decode, read_file(div.attributes.file), false)
  if not ok then
    fail(div.attributes.file .. ': not valid JSON')
  end
  local rows = {}
  flatten(value, '', rows)
  if div.attributes.headers == nil then
    div.attributes.headers = 'Item|Value'
  end
  return make_table(div, { 'item', 'value' }, rows, { 'text', 'text' })
end

local function csv_blocks(div)
  local a = div.attributes
  local data = read_csv(a.file or fail('csv-blocks: no file="..."'))
  local index = {}
  for j, name in ipairs(data.header) do
    index[name] = j
  end
  local function col(name)
    return index[name] or fail(a.file .. ': no column "' .. name .. '"')
  end
  local title, code = col(a['title-column']), col(a['code-column'])
  local out = {}
  for _, r in ipairs(data.rows) do
    out[#out + 1] = pandoc.Para({ pandoc.Strong(pandoc.Inlines(r[title])) })
    local facts = pandoc.Inlines({})
    for i, spec in ipairs(split(a.fields, ',')) do
      local f, label = spec:match('^([^:]+):?(.*)$')
      if i > 1 then
        facts:insert(pandoc.Str('; '))
      end
      facts:insert(pandoc.Emph(pandoc.Inlines(label ~= '' and label or f)))
      facts:insert(pandoc.Str(': '))
      facts:extend(pandoc.Inlines(r[col(f)] ~= '' and r[col(f)] or 'not recorded'))
    end
    if #facts > 0 then
      out[#out + 1] = pandoc.Para(facts)
    end
    local q = r[code]
    out[#out + 1] = q ~= '' and pandoc.CodeBlock(q, { class = 'search-query' })
      or pandoc.Para(pandoc.Inlines(a.empty or 'No query string (not a database search).'))
  end
  return out
end

function Div(div)
  if div.classes:includes('csv-table') then
    return csv_table(div)
  elseif div.classes:includes('json-table') then
    return json_table(div)
  elseif div.classes:includes('csv-blocks') then
    return csv_blocks(div)
  end
end
