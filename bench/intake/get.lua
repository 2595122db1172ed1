-- wrk script: GET <path prefix><id>, cycling through ids that exist.
-- args: <file with one id per line> <path prefix>
local ids = {}
local n = 0
local i = 0
local path_prefix
local nthreads = 0

function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      n = n + 1
      ids[n] = line
    end
  end
  path_prefix = args[2]
  i = tid * 7919
end

function request()
  i = i + 1
  return wrk.format("GET", path_prefix .. ids[(i % n) + 1])
end
