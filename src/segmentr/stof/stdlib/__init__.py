"""The Stof standard library subset conditions may call: Time, Obj, Map, List, Str, Num, Tup, Set, Std."""
