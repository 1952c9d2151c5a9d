// Placeholder until the store lands (issue 2).
#include "db/store.h"
