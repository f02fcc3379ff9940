--[[ quotes.lua: curly quotes printed as written in the PDF (after citeproc).

Pandoc's Typst writer turns a curly quote back into a straight one, and Typst then guesses
its direction from the context; after "?" or "!" it guesses wrong ('What Works?‘). Citeproc
quotes titles, so this runs after it (`at: post-render`) and hands every quotation mark to
Typst as raw text; other formats keep pandoc's own quotes.
]]

if not FORMAT:match('typst') then
  return {}
end

local PAIRS = { SingleQuote = { '‘', '’' }, DoubleQuote = { '“', '”' } }
local MARKS = { '‘', '’', '“', '”' }

function Quoted(el)
  local open, close = table.unpack(PAIRS[el.quotetype])
  local out = pandoc.Inlines({ pandoc.RawInline('typst', open) })
  out:extend(el.content)
  out:insert(pandoc.RawInline('typst', close))
  return out
end

function Str(el)
  local text, out, i = el.text, pandoc.Inlines({}), 1
  while true do
    local at, mark
    for _, m in ipairs(MARKS) do
      local found = text:find(m, i, true)
      if found and (not at or found < at) then
        at, mark = found, m
      end
    end
    if not at then
      break
    end
    if at > i then
      out:insert(pandoc.Str(text:sub(i, at - 1)))
    end
    out:insert(pandoc.RawInline('typst', mark))
    i = at + #mark
  end
  if #out == 0 then
    return nil
  end
  if i <= #text then
    out:insert(pandoc.Str(text:sub(i)))
  end
  return out
end
