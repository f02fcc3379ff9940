--[[ placeholders.lua: the author's text still to be written (Quarto and pandoc alike).

  [Say why this review is needed.]{.todo}      a placeholder in a sentence
  ::: {.todo}                                  a placeholder paragraph
  Summarise what the included studies found.
  :::

In a draft (`manuscript.draft: true` in config/config.yaml, which reaches the text as
results.review.draft) each placeholder is printed highlighted after "To write:". In a final
paper any placeholder stops the render with its text, so template prose can never ship.
]]

local function is_draft(meta)
  local results = meta.results or {}
  local review = results.review or {}
  local draft = review.draft
  return draft == true or (draft ~= nil and pandoc.utils.stringify(draft) == 'true')
end

local function label()
  return pandoc.Strong({ pandoc.Str('To'), pandoc.Space(), pandoc.Str('write:') })
end

function Pandoc(doc)
  local found = {}
  doc = doc:walk({
    Span = function(el)
      if el.classes:includes('todo') then
        found[#found + 1] = pandoc.utils.stringify(el)
        return pandoc.Span({ label(), pandoc.Space(), table.unpack(el.content) }, el.attr)
      end
    end,
    Div = function(el)
      if el.classes:includes('todo') then
        found[#found + 1] = pandoc.utils.stringify(el)
        el.content:insert(1, pandoc.Plain({ label() }))
        return el
      end
    end,
  })
  if #found > 0 and not is_draft(doc.meta) then
    error(
      'placeholders.lua: ' .. #found .. ' placeholder(s) still to write, the first: "'
        .. found[1]:sub(1, 100)
        .. '". Write them, or set manuscript.draft: true in config/config.yaml to render a draft.',
      0
    )
  end
  return doc
end
