--[[ crossref.lua: numbered figures and tables, resolved @fig-/@tbl-/@sec- references.

Used only on the pandoc path (render.py); Quarto does this itself. Runs after tables.lua and
results.lua and before --citeproc, so citeproc never sees a cross-reference. Figures and
tables are numbered in document order, as Typst numbers its figures, so "Table 2" in the text
and under the table agree in the PDF; in HTML the caption gets the "Table 2: " prefix Quarto
uses. Headers with sec- ids are numbered 1, 1.1, ... (unnumbered ones are skipped).

Quarto's custom float kinds (metadata crossref.custom, as in _reviewflow/metadata/
crossref.yml: #stbl- gives "Table S1") are read from the same metadata and numbered on their
own counters. Such a float is a div whose last paragraph is its caption; it becomes a table
with that caption (HTML), or, in Typst, the figure Quarto writes (kind "quarto-float-<key>"),
so the Typst header styles both renderers' output alike.
A reference to an id that does not exist stops the render.
]]

local stringify = pandoc.utils.stringify

local function fail(msg)
  error('crossref.lua: ' .. msg, 0)
end

-- Each float kind by its id prefix: the words before its number, and where its caption goes.
local function float_kinds(meta)
  local kinds = {
    fig = { ref = 'Figure ', caption = 'Figure ' },
    tbl = { ref = 'Table ', caption = 'Table ' },
  }
  local custom = meta.crossref and meta.crossref.custom or {}
  for _, entry in ipairs(custom) do
    local key = stringify(entry.key or fail('a crossref.custom entry has no key'))
    local ref = stringify(entry['reference-prefix'] or fail(key .. ': no reference-prefix'))
    local space = entry['space-before-numbering'] == false and '' or ' '
    kinds[key] = {
      custom = 'quarto-float-' .. key, -- its figure kind in Typst, as Quarto writes it
      ref = ref .. space,
      caption = stringify(entry['caption-prefix'] or ref) .. space,
      supplement = stringify(entry['caption-prefix'] or ref),
      position = stringify(entry['caption-location'] or 'bottom'),
    }
  end
  return kinds
end

local function prefix_caption(caption, label)
  local long = caption.long
  if #long == 0 then
    long = pandoc.Blocks({ pandoc.Plain({}) })
  end
  local first = long[1]
  first.content:insert(1, pandoc.Str(label .. ':'))
  if #first.content > 1 then
    first.content:insert(2, pandoc.Space())
  end
  caption.long = long
  return caption
end

local function typst_string(text)
  return '"' .. text:gsub('[\\"]', '\\%0') .. '"'
end

-- A custom float (div: content blocks, then its caption paragraph) in the output format.
local function custom_float(div, kind, label)
  local content = div.content:clone()
  local caption = table.remove(content)
  if not (caption and caption.t == 'Para') then
    fail(div.identifier .. ': the last paragraph of the div must be its caption')
  end
  if FORMAT:match('typst') then
    -- Typst writes "Table S1" itself; pandoc wraps every table in a figure of kind table,
    -- whose count is taken back so that the main tables keep their numbers.
    local head = '#figure(kind: ' .. typst_string(kind.custom)
      .. ', supplement: ' .. typst_string(kind.supplement)
      .. ', caption: figure.caption(position: ' .. kind.position .. ', ['
    local blocks = pandoc.Blocks({ pandoc.Plain({ pandoc.RawInline('typst', head) }) })
    blocks[1].content:extend(caption.content)
    blocks[1].content:insert(pandoc.RawInline('typst', ']), ['))
    blocks:extend(content)
    blocks:insert(pandoc.RawBlock('typst', '])\n<' .. div.identifier .. '>'))
    local tables = 0
    content:walk({ Table = function() tables = tables + 1 end })
    if tables > 0 then
      blocks:insert(pandoc.RawBlock('typst', '#counter(figure.where(kind: table)).update(n => n - ' .. tables .. ')'))
    end
    return blocks
  end
  local caption_obj = prefix_caption({ long = pandoc.Blocks({ pandoc.Plain(caption.content) }) }, label)
  if #content == 1 and content[1].t == 'Table' then
    content[1].identifier = div.identifier
    content[1].caption = caption_obj
    return content
  end
  return pandoc.Figure(content, caption_obj, pandoc.Attr(div.identifier))
end

function Pandoc(doc)
  local kinds = float_kinds(doc.meta)
  local labels = {}
  local counts = {}
  local sections = {}
  local function number(id)
    local key = id:match('^(%a+)%-')
    local kind = key and kinds[key]
    if not kind then
      return nil
    end
    counts[key] = (counts[key] or 0) + 1
    labels[id] = kind.ref .. counts[key]
    return kind, kind.caption .. counts[key]
  end
  doc.blocks = doc.blocks:walk({
    Figure = function(el)
      local kind, label = number(el.identifier)
      if kind and not FORMAT:match('typst') then -- Typst writes "Figure 1:" itself.
        el.caption = prefix_caption(el.caption, label)
        return el
      end
    end,
    Table = function(el)
      local kind, label = number(el.identifier)
      if kind and not FORMAT:match('typst') then
        el.caption = prefix_caption(el.caption, label)
        return el
      end
    end,
    Div = function(el)
      local kind = kinds[el.identifier:match('^(%a+)%-') or '']
      if kind and kind.custom then
        return custom_float(el, number(el.identifier))
      end
    end,
    Header = function(el)
      if el.classes:includes('unnumbered') then
        return
      end
      sections[el.level] = (sections[el.level] or 0) + 1
      for l = el.level + 1, 6 do
        sections[l] = nil
      end
      if el.identifier:match('^sec%-') then
        local parts = {}
        for l = 1, el.level do
          parts[#parts + 1] = tostring(sections[l] or 0)
        end
        labels[el.identifier] = 'Section ' .. table.concat(parts, '.')
      end
    end,
  })
  local function resolve(cite)
    local first = cite.citations[1].id
    local key = first:match('^(%a+)%-')
    if not (key and (kinds[key] or key == 'sec')) then
      return nil
    end
    local out = pandoc.Inlines({})
    for i, c in ipairs(cite.citations) do
      local label = labels[c.id] or fail('unresolved reference @' .. c.id)
      if i > 1 then
        out:insert(pandoc.Str(i == #cite.citations and ' and ' or ', '))
      end
      out:insert(pandoc.Link(label, '#' .. c.id))
    end
    return out
  end
  doc.blocks = doc.blocks:walk({ Cite = resolve })
  -- render.py writes the Typst file one folder down (_output/); keep image paths valid.
  local prefix = doc.meta['typst-image-prefix']
  if prefix and FORMAT:match('typst') then
    prefix = pandoc.utils.stringify(prefix)
    doc.blocks = doc.blocks:walk({
      Image = function(img)
        if not img.src:match('^%a+:') and not img.src:match('^/') then
          img.src = prefix .. img.src
          return img
        end
      end,
    })
  end
  return doc
end
