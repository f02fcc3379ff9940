--[[ quotes.lua: curly quotes printed as characters in the PDF (after citeproc).

Typst turns straight quotes into curly ones by context and takes a quote after "?" or "!"
for an opening one ('What Works?‘). Citeproc quotes article titles, so this runs after it
(`at: post-render`) and writes each quotation's marks out for Typst; other formats keep
pandoc's own quotes.
]]

if not FORMAT:match('typst') then
  return {}
end

local MARKS = { SingleQuote = { '‘', '’' }, DoubleQuote = { '“', '”' } }

function Quoted(el)
  local open, close = table.unpack(MARKS[el.quotetype])
  local out = pandoc.Inlines({ pandoc.Str(open) })
  out:extend(el.content)
  out:insert(pandoc.Str(close))
  return out
end
