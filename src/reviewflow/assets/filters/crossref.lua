--[[ crossref.lua: numbered figures and tables, resolved @fig-/@tbl-/@sec- references.

Used only on the pandoc path (render.py); Quarto does this itself. Runs after tables.lua and
results.lua and before --citeproc, so citeproc never sees a cross-reference. Figures and
tables are numbered in document order, as Typst numbers its figures, so "Table 2" in the text
and under the table agree in the PDF; in HTML the caption gets the "Table 2: " prefix Quarto
uses. Headers with sec- ids are numbered 1, 1.1, ... (unnumbered ones are skipped).
A reference to an id that does not exist stops the render.
]]

local KINDS = { fig = 'Figure', tbl = 'Table', sec = 'Section' }

local function fail(msg)
  error('crossref.lua: ' .. msg, 0)
end

local function prefix_caption(el, label)
  if FORMAT:match('typst') then
    return -- Typst writes "Figure 1:" itself.
  end
  local long = el.caption.long
  if #long == 0 then
    long = pandoc.Blocks({ pandoc.Plain({}) })
  end
  local first = long[1]
  first.content:insert(1, pandoc.Str(label .. ':'))
  if #first.content > 1 then
    first.content:insert(2, pandoc.Space())
  end
  el.caption.long = long
end

function Pandoc(doc)
  local labels = {}
  local counts = { fig = 0, tbl = 0 }
  local sections = {}
  doc.blocks = doc.blocks:walk({
    Figure = function(el)
      if el.identifier:match('^fig%-') then
        counts.fig = counts.fig + 1
        labels[el.identifier] = 'Figure ' .. counts.fig
        prefix_caption(el, labels[el.identifier])
        return el
      end
    end,
    Table = function(el)
      if el.identifier:match('^tbl%-') then
        counts.tbl = counts.tbl + 1
        labels[el.identifier] = 'Table ' .. counts.tbl
        prefix_caption(el, labels[el.identifier])
        return el
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
    local kind = first:match('^(%a+)%-')
    if not (kind and KINDS[kind]) then
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
