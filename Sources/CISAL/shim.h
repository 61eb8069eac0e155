#include <isa-l/igzip_lib.h>
/* Level-3 work buffer size (a macro chain Swift cannot import). */
static inline unsigned int cisal_level3_buffer_size(void) { return ISAL_DEF_LVL3_DEFAULT; }
