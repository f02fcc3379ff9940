--[[ results.lua: put the pipeline's numbers into the text (Quarto and pandoc alike).

  [counts.included]{.val}        -> the value at that key path under `results:` in the
                                    metadata (data/processed/manuscript/results.yml)
  [included.keys]{.cites}        -> one citation group of the studies the list names
  [scopus:12]{.cite-id}          -> an in-text citation of the study with that study,
                                    record or citation key (tables.lua makes these)

An unknown key or id stops the render: a paper with a silently missing number is worse than
no paper. Lists print as "a, b and c"; whole numbers of 10000 or more get thousands commas.
]]

local results = nil

local function fail(msg)
  error('results.lua: ' .. msg .. ' (see data/processed/manuscript/results.yml)', 0)
end

local function lookup(path)
  if results == nil then
    fail('no `results` metadata; pass results.yml with --metadata-file')
  end
  local node = results
  for part in path:gmatch('[^.]+') do
    local ty = pandoc.utils.type(node)
    if ty ~= 'table' and ty ~= 'Meta' then
      fail('unknown key "' .. path .. '": "' .. part .. '" is below a single value')
    end
    node = node[part]
    if node == nil then
      fail('unknown key "' .. path .. '" (no "' .. part .. '")')
    end
  end
  return node
end

local function text_of(value)
  local ty = pandoc.utils.type(value)
  if ty == 'boolean' then
    return value and 'yes' or 'no'
  end
  return pandoc.utils.stringify(value)
end

local function with_commas(s)
  if s:match('^%d%d%d%d%d+$') then
    local out = s:reverse():gsub('(%d%d%d)', '%1,'):reverse()
    return (out:gsub('^,', ''))
  end
  return s
end

local function join_words(items)
  if #items <= 1 then
    return items[1] or ''
  end
  return table.concat(items, ', ', 1, #items - 1) .. ' and ' .. items[#items]
end

local function format_value(value, path)
  local ty = pandoc.utils.type(value)
  if ty == 'List' then
    local items = {}
    for _, v in ipairs(value) do
      if pandoc.utils.type(v) == 'table' then
        fail('key "' .. path .. '" is a list of groups, not of values')
      end
      items[#items + 1] = with_commas(text_of(v))
    end
    return pandoc.Inlines(join_words(items))
  elseif ty == 'table' then
    fail('key "' .. path .. '" is a group of values; name one of them')
  end
  return pandoc.Inlines(with_commas(text_of(value)))
end

-- Citation key of a study, record or key id (results.included.key_of maps ids to keys).
local function key_of(id)
  local map = lookup('included.key_of')
  if map[id] ~= nil then
    return text_of(map[id])
  end
  for _, key in ipairs(lookup('included.keys')) do
    if text_of(key) == id then
      return id
    end
  end
  fail('"' .. id .. '" is not an included study, record or citation key')
end

local function cite(keys, mode)
  local citations = {}
  local seen = {}
  for _, k in ipairs(keys) do
    if not seen[k] then
      seen[k] = true
      citations[#citations + 1] = pandoc.Citation(k, mode)
    end
  end
  local label = '@' .. table.concat(keys, '; @')
  return pandoc.Cite(pandoc.Inlines(label), citations)
end

local function span(el)
  if el.classes:includes('val') then
    local path = pandoc.utils.stringify(el.content)
    return format_value(lookup(path), path)
  elseif el.classes:includes('cites') then
    local path = pandoc.utils.stringify(el.content)
    local value = lookup(path)
    if pandoc.utils.type(value) ~= 'List' then
      fail('key "' .. path .. '" must be a list of study ids to cite')
    end
    local keys = {}
    for _, v in ipairs(value) do
      keys[#keys + 1] = key_of(text_of(v))
    end
    if #keys == 0 then
      return pandoc.Inlines('(none)')
    end
    table.sort(keys)
    return cite(keys, 'NormalCitation')
  elseif el.classes:includes('cite-id') then
    local ids = {}
    for id in pandoc.utils.stringify(el.content):gmatch('[^;%s]+') do
      ids[#ids + 1] = key_of(id)
    end
    return cite(ids, 'AuthorInText')
  end
end

function Pandoc(doc)
  results = doc.meta.results
  -- Walk the metadata too: the abstract lives there.
  return doc:walk({ Span = span })
end
