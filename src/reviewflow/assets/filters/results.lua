--[[ results.lua: put the pipeline's numbers into the text (Quarto and pandoc alike).

  [counts.included]{.val}        -> the value at that key path under `results:` in the
                                    metadata (data/processed/manuscript/results.yml)
  [included.keys]{.cites}        -> one citation group of the studies the list names
  [scopus:12]{.cite-id}          -> an in-text citation of the study with that study,
                                    record or citation key (tables.lua makes these)

An unknown key or id stops the render: a paper with a silently missing number is worse than
no paper. Values print in the house style of reviewflow.prose, which the engine's own text
values follow too: whole numbers below ten in words ("five"), 10000 and above with thousands
commas; lists as "a, b, and c". Attributes of a .val span:
  noun="study"      a count with its noun, agreeing: "no studies", "one study", "12 studies"
                    (plural="analyses" where adding -s/-es/-ies is wrong)
  as="digits"       digits even below ten (for "n = 3", or beside a table's figures)
  as="date"         an ISO date as "11 February 2019"
  case="sentence"   the first letter capitalised, for a value that starts a sentence
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

-- As reviewflow.prose.join: "a and b", "a, b, and c"; semicolons between items that hold a
-- comma or an "and" ("a; b and c; and d").
local function join_words(items)
  if #items <= 1 then
    return items[1] or ''
  end
  local sep = ', '
  for _, item in ipairs(items) do
    if item:find(',') or item:find(' and ') then
      sep = '; '
    end
  end
  if #items <= 2 and sep == ', ' then
    return table.concat(items, ' and ')
  end
  return table.concat(items, sep, 1, #items - 1) .. sep .. 'and ' .. items[#items]
end

local WORDS = { [0] = 'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine' }
local MONTHS = { 'January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
  'September', 'October', 'November', 'December' }

local function plural(noun, n, given)
  if n == 1 then
    return noun
  elseif given then
    return given
  elseif noun:match('[^aeiou]y$') then
    return noun:sub(1, -2) .. 'ies'
  elseif noun:match('[sxz]$') or noun:match('[cs]h$') then
    return noun .. 'es'
  end
  return noun .. 's'
end

local function styled(text, attrs, path)
  local as = attrs['as']
  if as == 'date' then
    local y, m, d = text:match('^(%d%d%d%d)%-(%d%d)%-(%d%d)$')
    if not y then
      fail('key "' .. path .. '" is "' .. text .. '", not an ISO date (as="date")')
    end
    text = tonumber(d) .. ' ' .. MONTHS[tonumber(m)] .. ' ' .. y
  elseif text:match('^%d+$') then
    local n = tonumber(text)
    text = (n < 10 and as ~= 'digits') and WORDS[n] or with_commas(text)
    if attrs.noun then
      text = ((n == 0 and as ~= 'digits') and 'no' or text) .. ' ' .. plural(attrs.noun, n, attrs.plural)
    end
  elseif attrs.noun then
    fail('key "' .. path .. '" is "' .. text .. '", not a count (noun="' .. attrs.noun .. '")')
  end
  if attrs.case == 'sentence' then
    text = text:sub(1, 1):upper() .. text:sub(2)
  end
  return text
end

local function format_value(value, path, attrs)
  local ty = pandoc.utils.type(value)
  if ty == 'List' then
    if attrs.noun then
      fail('key "' .. path .. '" is a list, not a count (noun="' .. attrs.noun .. '")')
    end
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
  return pandoc.Inlines(styled(text_of(value), attrs, path))
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
    return format_value(lookup(path), path, el.attributes)
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
